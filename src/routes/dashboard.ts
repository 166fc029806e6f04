/**
 * The dashboard: static pages under /ui/ that read the public API from the browser, with uPlot
 * served from node_modules (no CDN: the service works offline). `/` leads to it.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const here = path.dirname(fileURLToPath(import.meta.url));
const uplotDist = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

const dashboard: FastifyPluginAsync = async (app) => {
  await app.register(fastifyStatic, { root: path.join(here, '../dashboard/public'), prefix: '/ui/', index: 'index.html' });
  await app.register(fastifyStatic, {
    root: uplotDist,
    prefix: '/ui/vendor/',
    decorateReply: false,
    allowedPath: (pathName) => pathName === '/uPlot.iife.min.js' || pathName === '/uPlot.min.css',
  });
  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/ui/'));
};

export default dashboard;
