/** `npm run api`: the HTTP API alone (scale it separately from the workers). */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { loadConfig, openExposure } from './config.ts';
import { assertRedisReachable } from './redis/connect.ts';

export async function startApi(config = loadConfig()) {
  const exposed = openExposure(config);
  if (exposed) throw new Error(exposed);
  await assertRedisReachable(config.redisUrl);
  const app = await buildApp({ config });
  await app.listen({ host: config.host, port: config.port });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const app = await startApi();
    closeWithGrace({ delay: 10_000 }, async ({ err }) => {
      if (err) app.log.error({ err }, 'shutting down after error');
      await app.close();
    });
  } catch (err) {
    console.error(`api: ${(err as Error).message}`);
    process.exit(1);
  }
}
