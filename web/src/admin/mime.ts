// Just enough MIME to show an outbox message as text in the browser: headers, and the text/plain part of
// the message (inside multipart/* if need be), decoded from quoted-printable or base64. No markup is ever
// rendered from a message.

export interface ReadableMail {
  headers: Record<string, string>;
  /** The plain-text body, or null when the message has none. */
  text: string | null;
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match === null ? raw : raw.slice(0, match.index);
  const body = match === null ? '' : raw.slice(match.index + match[0].length);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function parameter(header: string, name: string): string | null {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return match === null ? null : (match[1] ?? match[2] ?? null);
}

function bytesToText(bytes: Uint8Array, charset: string | null): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

export function decodeQuotedPrintable(text: string): Uint8Array {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(joined[i]));
    }
  }
  return new Uint8Array(bytes);
}

function decodeBase64(text: string): Uint8Array {
  try {
    const binary = atob(text.replace(/\s+/g, ''));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return new Uint8Array();
  }
}

/** Encoded words (=?utf-8?Q?...?= and =?utf-8?B?...?=) in a header value. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === 'B' ? decodeBase64(text) : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return bytesToText(bytes, charset);
    });
}

function decodeBody(part: Part): string {
  const charset = parameter(part.headers['content-type'] ?? '', 'charset');
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return bytesToText(decodeQuotedPrintable(part.body), charset);
  if (encoding === 'base64') return bytesToText(decodeBase64(part.body), charset);
  return part.body;
}

function findText(part: Part, depth: number): string | null {
  const type = (part.headers['content-type'] ?? 'text/plain').toLowerCase();
  if (type.startsWith('text/plain')) return decodeBody(part);
  if (!type.startsWith('multipart/') || depth > 5) return null;
  const boundary = parameter(part.headers['content-type'] ?? '', 'boundary');
  if (boundary === null) return null;
  const pieces = part.body.split(`--${boundary}`).slice(1);
  for (const piece of pieces) {
    if (piece.startsWith('--')) break;
    const found = findText(splitPart(piece.replace(/^\r?\n/, '')), depth + 1);
    if (found !== null) return found;
  }
  return null;
}

export function readMail(raw: string): ReadableMail {
  const top = splitPart(raw);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(top.headers)) headers[name] = decodeHeader(value);
  const text = findText(top, 0);
  return { headers, text: text === null ? null : text.replace(/\r\n/g, '\n').trimEnd() };
}
