// Starting and stopping a server: used by `hearth serve`, the test helper and the benchmarks.
import { wordLists } from './accounts/word-lists.ts';
import type { FastifyInstance } from 'fastify';
import { prepareSetupToken } from './accounts/setup.ts';
import type { Config } from './config.ts';
import { closeDeps, createDeps, type Deps, type DepsOverrides } from './deps.ts';
import { buildApp } from './http/app.ts';
import { registerModules, startModules } from './modules.ts';

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  url: string;
  setupToken: string | null;
  close(): Promise<void>;
}

export interface StartOptions extends DepsOverrides {
  /** Start background work (job workers, mail sender); default true. */
  background?: boolean;
  webDist?: string | null;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const deps = await createDeps(config, options);
  let built: FastifyInstance | null = null;
  try {
    await registerModules(deps);
    const app = await buildApp(deps, { webDist: options.webDist });
    built = app;
    const setupToken = await prepareSetupToken(deps);
    // Loaded before the first request rather than during the first registration or password change.
    wordLists();
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    if (!config.publicUrlExplicit) config.publicUrl.port = String(port);
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    if (options.background !== false) {
      await startModules(deps);
      deps.jobs.start(deps);
    }
    let closed = false;
    return {
      app,
      deps,
      url: `http://${host}:${port}`,
      setupToken,
      async close() {
        if (closed) return;
        closed = true;
        await app.close();
        await closeDeps(deps);
      },
    };
  } catch (err) {
    // Whatever was started goes, the listening socket too: otherwise `serve` says it cannot start and
    // does not exit, still holding its port.
    await built
      ?.close()
      .catch((closeErr: unknown) =>
        deps.log.warn({ err: closeErr }, 'could not close the HTTP server of a failed start'),
      );
    await closeDeps(deps);
    throw err;
  }
}
