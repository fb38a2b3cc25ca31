// One error handler: AppError codes map to statuses; bad input is always a 4xx with a stable code;
// anything else is a 500 whose details stay in the log.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError, errorCodes, type ErrorCode } from '../errors.ts';
import { noteStoreFault, storeFaultOf } from '../store/faults.ts';
import { securityHeaders } from './security-headers.ts';

interface ErrorResponse {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

function describeValidation(error: FastifyError): ErrorResponse {
  const first = error.validation?.[0];
  const where = (error.validationContext ?? 'body') as string;
  const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const params = (first?.params ?? {}) as Record<string, unknown>;
  if (first?.keyword === 'additionalProperties') {
    const field = String(params.additionalProperty);
    return {
      status: 400,
      code: 'invalid_body',
      message: `Unknown field "${path ? `${path}.` : ''}${field}" in the ${where}.`,
      details: { field },
    };
  }
  if (first?.keyword === 'required') {
    const field = String(params.missingProperty);
    return {
      status: 400,
      code: 'invalid_body',
      message: `The field "${path ? `${path}.` : ''}${field}" is required in the ${where}.`,
      details: { field },
    };
  }
  const field = path || where;
  return {
    status: 400,
    code: 'invalid_body',
    message: `Invalid ${where}: ${field ? `"${field}" ` : ''}${first?.message ?? 'is not valid'}.`,
    details: { field },
  };
}

/** How long a client should wait before trying again after store_unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;

export function toErrorResponse(error: FastifyError | Error): ErrorResponse | null {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    };
  }
  const fault = storeFaultOf(error);
  if (fault) return { status: errorCodes[fault.code][0], code: fault.code, message: errorCodes[fault.code][1] };
  const fe = error as FastifyError;
  if (fe.validation) return describeValidation(fe);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'content_length_mismatch', message: errorCodes.content_length_mismatch[1] };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'The request body is empty; send a JSON object.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' };
    default:
      break;
  }
  if (error instanceof SyntaxError)
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' };
  if (fe.statusCode === 404) return { status: 404, code: 'not_found', message: 'Not found.' };
  if (fe.statusCode === 405)
    return { status: 405, code: 'method_not_allowed', message: 'This method is not allowed here.' };
  if (fe.statusCode === 413)
    return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
  if (fe.statusCode === 415)
    return { status: 415, code: 'unsupported_media_type', message: 'Send JSON with Content-Type: application/json.' };
  // A static file's range outside the file (the media route throws its own AppError for the same).
  if (fe.statusCode === 416)
    return { status: 416, code: 'range_not_satisfiable', message: 'The requested range is not satisfiable.' };
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: 'bad_request', message: 'The request is malformed.' };
  }
  return null;
}

/** The one error handler; store faults are also noted for the health check. */
export function errorHandler(deps: Pick<Deps, 'db' | 'clock'>) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const response = toErrorResponse(error);
    if (!response) {
      request.log.error({ err: error }, 'request failed');
      void reply
        .status(500)
        .send({ error: { code: 'internal_error', message: 'Something went wrong on the server.' } });
      return;
    }
    if (response.code === 'storage_full' || response.code === 'store_unavailable') {
      // The original error (SQLite's or PostgreSQL's own words) stays in the log for the operator.
      request.log.error(
        { err: error },
        response.code === 'storage_full' ? 'the disk is full: nothing was saved' : 'the database cannot be reached',
      );
      noteStoreFault(deps.db, storeFaultOf(error)!, deps.clock());
      if (response.code === 'store_unavailable') void reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    }
    if (error instanceof ThrottledError) void reply.header('Retry-After', String(error.retryAfterSeconds));
    else if (error instanceof AppError && typeof error.details?.retry_after === 'number') {
      void reply.header('Retry-After', String(error.details.retry_after));
    }
    // A static file's 416 says how long the file is, as RFC 9110 asks (the error carries send's header).
    const range = (error as { headers?: Record<string, unknown> }).headers?.['Content-Range'];
    if (response.status === 416 && typeof range === 'string') void reply.header('Content-Range', range);
    const body: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
      code: response.code,
      message: response.message,
    };
    if (response.details) body.details = response.details;
    void reply.status(response.status).send({ error: body });
  };
}

function clientErrorCode(error: Error & { code?: string }): ErrorCode {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'headers_too_large';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'payload_too_large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'request_timeout';
    default:
      return 'bad_request';
  }
}

/**
 * A request that fails before Fastify routes it (headers over the limit, a malformed request or header line,
 * too slow to arrive) is answered on the socket itself, in the same shape and with the same headers as every
 * other answer (S80, S82), and the connection is closed: the parser cannot tell where the next request starts.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket, secure: boolean): void {
  // A reset connection is gone already.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // As Node does: never write into the middle of an answer already going out on this connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const code = clientErrorCode(error);
  const [status, message] = errorCodes[code];
  const body = JSON.stringify({ error: { code, message } });
  const headers = {
    ...securityHeaders(secure),
    'Cache-Control': 'no-store',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
