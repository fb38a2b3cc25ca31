// `npx hearth <command>`: the operator's tool. Each command opens the same data folder as the server.
import { ConfigError, loadConfig } from '../config.ts';
import { systemRandom } from '../crypto.ts';
import { closeDeps, createDeps } from '../deps.ts';
import { registerModules } from '../modules.ts';
import type { CliCommand } from './command.ts';
import { commands } from './commands.ts';
import { CliError } from './io.ts';
import { describeCliError } from './user.command.ts';
import { pino } from 'pino';

function usage(all: CliCommand[]): string {
  const lines = [
    'Usage: hearth <command> [options]',
    '',
    'Commands:',
    '  serve               run the server (what npm start runs)',
  ];
  for (const c of all) lines.push(`  ${c.name.padEnd(20)}${c.summary}`);
  lines.push('', 'Configuration comes from HEARTH_* environment variables (see the README).');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const all = commands;
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(all) + '\n');
    return name ? 0 : 1;
  }
  try {
    // Loaded only here: the server (and Fastify) stays out of every other command.
    if (name === 'serve') return await (await import('./serve.command.ts')).serveCommand(args);
    const command = all.find((c) => c.name === name);
    if (!command) {
      process.stderr.write(`hearth: unknown command "${name}"\n\n${usage(all)}\n`);
      return 2;
    }
    if (args.includes('--help') || args.includes('-h')) {
      process.stdout.write(command.help + '\n');
      return 0;
    }
    if (!command.needsStore) return await command.run(args, null);
    const config = loadConfig(process.env, systemRandom);
    const deps = await createDeps(config, {
      log: pino({ level: process.env.HEARTH_LOG_LEVEL ?? 'warn' }, process.stderr),
    });
    try {
      await registerModules(deps);
      return await command.run(args, deps);
    } finally {
      await closeDeps(deps);
    }
  } catch (err) {
    const [code, message, status] =
      err instanceof ConfigError
        ? ['configuration_error', `configuration error: ${err.message}`, 1]
        : [
            err instanceof CliError ? 'usage' : 'failed',
            describeCliError(err) ?? (err as Error)?.message ?? String(err),
            err instanceof CliError ? 2 : 1,
          ];
    // A caller that asked for JSON parses standard output: the error is JSON there too.
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    process.stderr.write(`hearth: ${message}\n`);
    return status;
  }
}
