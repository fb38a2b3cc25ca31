import { ConfigError, loadConfig } from '../config.ts';
import { systemRandom } from '../crypto.ts';
import { startServer } from '../server.ts';

export async function serveCommand(_args: string[]): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env, systemRandom);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hearth: configuration error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let server;
  try {
    server = await startServer(config);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(
        `hearth: cannot listen on ${config.host}:${config.port}: the port is in use (set HEARTH_PORT)\n`,
      );
    } else if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      process.stderr.write(`hearth: cannot listen on ${config.host}:${config.port}: ${e.message}\n`);
    } else if (
      e.code === 'ECONNREFUSED' ||
      e.code === 'ENOTFOUND' ||
      /password authentication|does not exist|database/i.test(e.message ?? '')
    ) {
      process.stderr.write(`hearth: cannot open the database: ${e.message}\n`);
    } else {
      process.stderr.write(`hearth: cannot start: ${e.message ?? String(err)}\n`);
    }
    return 1;
  }
  if (server.setupToken) {
    process.stdout.write(
      `This server has no owner yet. Open ${config.publicUrl.origin}/setup and use this one-time token:\n`,
    );
    process.stdout.write(`Setup token: ${server.setupToken}\n`);
  }
  process.stdout.write(`Hearth listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('Hearth stopping\n');
  await server.close();
  return 0;
}
