#!/usr/bin/env node
// The CLI is TypeScript like the rest of the service; tsx compiles it on load, so there is no build step.
import { register } from 'tsx/esm/api';

register();
// Resolved from this file, not the working directory, so `kjobs` works when linked onto PATH.
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), process.env);
