// Small helpers for the command line: reading a secret from standard input, a progress bar.

/** Reads all of standard input; drops one trailing newline (a password piped with echo). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * A password for a command: typed at a terminal without echo (asked twice, so a typo does not become the
 * password), or read whole from standard input when it is piped (a trailing newline dropped).
 */
export async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await promptHidden('Password: ');
  if (first === '') return '';
  const again = await promptHidden('The same password again: ');
  if (again !== first) throw new CliError('the two passwords differ; nothing was created');
  return first;
}

/** Reads one line at the terminal with echo off: Enter ends it, Backspace takes back a character, Ctrl-C cancels. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt shows: whatever is typed after seeing it is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
      typed = [];
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new CliError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed.pop();
        else if (ch >= ' ') typed.push(ch);
      }
    };
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', onData);
  });
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
