// One answer tree, written as the Subsonic XML schema or as its JSON form. In the tree, a scalar is an
// attribute (XML) or a property (JSON); an object is a child element; an array is repeated child elements;
// the key `value` is an element's text. Both forms carry the same names, as the Subsonic schema has them.
export const API_VERSION = '1.16.1';
export const SERVER_TYPE = 'hearth';
export const SERVER_VERSION = '0.1.0';

export type Scalar = string | number | boolean;
export type Node = { [key: string]: Scalar | Node | (Node | Scalar)[] | null | undefined };

export type Format = 'xml' | 'json';

/** Subsonic's error codes (subsonic.org API, OpenSubsonic). */
export const ERROR = {
  generic: 0,
  missingParameter: 10,
  clientTooOld: 20,
  serverTooOld: 30,
  wrongCredentials: 40,
  tokenNotSupported: 41,
  authNotSupported: 42,
  conflictingAuth: 43,
  invalidApiKey: 44,
  notAuthorized: 50,
  notFound: 70,
} as const;

export class SubsonicError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'SubsonicError';
  }
}

function envelope(status: 'ok' | 'failed'): Node {
  return { status, version: API_VERSION, type: SERVER_TYPE, serverVersion: SERVER_VERSION, openSubsonic: true };
}

export function okBody(payload: Node): Node {
  return { ...envelope('ok'), ...payload };
}

export function errorBody(code: number, message: string): Node {
  return { ...envelope('failed'), error: { code, message } };
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for an XML attribute or element: escaped, and without characters XML 1.0 cannot hold. */
function xmlText(value: Scalar): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function element(name: string, node: Node | Scalar, out: string[]): void {
  if (isScalar(node)) {
    out.push(`<${name}>${xmlText(node)}</${name}>`);
    return;
  }
  let attrs = '';
  const children: [string, Node | Scalar][] = [];
  let text: string | null = null;
  for (const [key, value] of Object.entries(node)) {
    if (value === null || value === undefined) continue;
    if (key === 'value' && isScalar(value)) text = xmlText(value);
    else if (isScalar(value)) attrs += ` ${key}="${xmlText(value)}"`;
    else if (Array.isArray(value)) for (const v of value) children.push([key, v]);
    else children.push([key, value]);
  }
  if (children.length === 0 && text === null) {
    out.push(`<${name}${attrs}/>`);
    return;
  }
  out.push(`<${name}${attrs}>`);
  if (text !== null) out.push(text);
  for (const [key, child] of children) element(key, child, out);
  out.push(`</${name}>`);
}

function stripNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripNulls);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node))
    if (value !== null && value !== undefined) out[key] = stripNulls(value);
  return out;
}

export function render(format: Format, body: Node): { contentType: string; text: string } {
  if (format === 'json') {
    return {
      contentType: 'application/json; charset=utf-8',
      text: JSON.stringify({ 'subsonic-response': stripNulls(body) }),
    };
  }
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  element('subsonic-response', { xmlns: 'http://subsonic.org/restapi', ...body }, out);
  return { contentType: 'text/xml; charset=utf-8', text: out.join('') };
}
