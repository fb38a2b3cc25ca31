// Small helpers for the command line: reading a secret from standard input, a progress bar.

/** Reads all of standard input; drops one trailing newline (a password piped with echo). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A one-line progress bar on a terminal; plain lines otherwise (logs, CI). */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastLine = '';
  let lastPlain = 0;
  return {
    update(done: number, total: number, extra = '') {
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const width = 30;
      const filled = Math.round(ratio * width);
      const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${(ratio * 100).toFixed(0)}%${extra ? ` ${extra}` : ''}`;
      if (line === lastLine) return;
      lastLine = line;
      if (stream.isTTY) {
        stream.write(`\r${line}\x1b[K`);
      } else if (Date.now() - lastPlain > 1000 || done === total) {
        lastPlain = Date.now();
        stream.write(line + '\n');
      }
    },
    done(message?: string) {
      if (stream.isTTY && lastLine) stream.write('\n');
      if (message) stream.write(message + '\n');
    },
  };
}
