// Runs `node bin/hearth.mjs …` as an operator would: its own process, configured by HEARTH_* variables only.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test process without any HEARTH_* variable, plus `env`. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEARTH_')));
  return { ...base, HEARTH_LOG_LEVEL: 'warn', ...env };
}

export function runCli(
  args: string[],
  options: { env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/hearth.mjs', ...args], { cwd: REPO_ROOT, env: cliEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hearth ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 80_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the URL on `Hearth listening on <url>`, rejects when the process exits first. */
  listening: Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function startServe(env: Record<string, string>): ServeProcess {
  const child = spawn(process.execPath, ['bin/hearth.mjs', 'serve'], { cwd: REPO_ROOT, env: cliEnv(env) });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const match = /Hearth listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.stderr.on('data', (d) => (err += d));
    void exited.then((code) => reject(new Error(`hearth serve exited with ${code}: ${err}`)));
  });
  listening.catch(() => {});
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    listening,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
