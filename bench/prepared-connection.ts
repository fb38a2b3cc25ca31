// A load generator's HTTP client: one keep-alive HTTP/1.1 connection that sends requests prepared once as bytes,
// one at a time, and reads each answer by its Content-Length. This is how wrk and autocannon keep their own cost
// low; Node's http.request builds header objects, an agent queue and a parser state per request, which on a
// machine whose cores the server needs is CPU taken from the server being measured.
import net from 'node:net';

export interface PreparedAnswer {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The bytes of one request; `Content-Length` is added for a body. */
export function prepareRequest(
  method: string,
  url: URL,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Buffer {
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${url.host}`, 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (payload) lines.push('Content-Type: application/json', `Content-Length: ${payload.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  return payload ? Buffer.concat([head, payload]) : head;
}

export class PreparedConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: PreparedAnswer) => void; reject: (e: Error) => void } | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  static open(url: URL): Promise<PreparedConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.off('error', reject);
        resolve(new PreparedConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one prepared request and resolves with its answer; one request at a time per connection. */
  send(request: Buffer): Promise<PreparedAnswer> {
    if (this.waiting) return Promise.reject(new Error('one request at a time on a prepared connection'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffered.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`));
    const total = end + HEADER_END.length + Number(length[1]);
    if (this.buffered.length < total) return;
    if (this.buffered.length > total) return this.fail(new Error('more bytes than one answer'));
    const body = this.buffered.subarray(end + HEADER_END.length);
    this.buffered = Buffer.alloc(0);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ status, body });
  }

  private fail(err: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(err);
  }
}
