// One error type. The table is data: it maps each stable code to an HTTP status and a message for
// people, and doubles as the API's error documentation (see /api/openapi.json).
export const errorCodes = {
  // 400
  bad_request: [400, 'The request is malformed.'],
  invalid_body: [400, 'The request body does not match what this route expects.'],
  invalid_json: [400, 'The request body is not valid JSON.'],
  content_length_mismatch: [400, 'The request body is not as long as its Content-Length header says.'],
  password_too_short: [400, 'The password must be at least 8 characters long.'],
  password_too_long: [400, 'The password must be at most 256 characters long.'],
  password_too_common: [400, 'This password is among the most common or breached passwords. Choose another.'],
  password_contains_personal: [400, 'The password must not contain your name, your email or the word "hearth".'],
  password_unchanged: [400, 'The new password must differ from the old one.'],
  invalid_token: [400, 'This link or token is not valid, was already used, or has expired.'],
  invalid_code: [400, 'The code is not valid.'],
  library_path_invalid: [
    400,
    'Each library folder must be an absolute path to an existing folder, outside the data folder.',
  ],
  unknown_library: [400, 'One of these libraries does not exist.'],
  passkey_invalid: [400, 'The passkey could not be verified. Try again.'],
  // Device-code linking: RFC 8628's error names, so TV clients can follow the RFC.
  authorization_pending: [400, 'The code has not been approved yet. Keep polling.'],
  slow_down: [400, 'Polling too fast: wait longer between requests.'],
  access_denied: [400, 'The link was denied.'],
  expired_token: [400, 'The code has expired or was already used. Ask for a new one.'],
  invalid_grant: [400, 'This device code is not known.'],
  // 401
  unauthorized: [401, 'Sign in to continue.'],
  invalid_credentials: [401, 'The username, email or password is not correct.'],
  reauthentication_required: [401, 'Confirm your password again to make this change.'],
  mfa_required: [
    401,
    'This account uses two-step sign-in: also enter a code from your authenticator app or a recovery code.',
  ],
  // 403
  forbidden: [403, 'You are not allowed to do this.'],
  password_reset_required: [403, 'This account must set a new password. Request a password reset by email.'],
  setup_done: [403, 'This server already has an owner.'],
  invalid_setup_token: [403, 'The setup token is not correct.'],
  origin_mismatch: [403, 'Cross-origin requests are refused.'],
  account_disabled: [403, 'This account is disabled.'],
  insufficient_scope: [403, 'This app password does not allow this action.'],
  mfa_enrollment_required: [403, 'Two-factor sign-in is required on this server. Set it up first.'],
  policy_set_by_owner: [403, 'The owner set this two-step sign-in policy; only the owner may lower it.'],
  // 404
  not_found: [404, 'Not found.'],
  // 405/408/409/413/415/416/431
  method_not_allowed: [405, 'This method is not allowed here.'],
  request_timeout: [408, 'The request took too long to arrive.'],
  conflict: [409, 'This conflicts with the current state.'],
  username_taken: [409, 'This username is taken.'],
  email_taken: [409, 'This email address is already in use.'],
  library_name_taken: [409, 'A library with this name exists already.'],
  library_paths_overlap: [409, "A library folder may not lie inside another library's folder, or contain one."],
  totp_already_enabled: [409, 'An authenticator app is already set up. Remove it first to set up another.'],
  totp_setup_required: [409, 'Start setting up the authenticator app first.'],
  passkey_already_registered: [409, 'This passkey is already registered.'],
  second_factor_required: [409, 'Turn on two-step sign-in (an authenticator app or a passkey) first.'],
  payload_too_large: [413, 'The request body is too large.'],
  unsupported_media_type: [415, 'Send JSON with Content-Type: application/json.'],
  unsupported_charset: [415, 'Send the body in UTF-8 (Content-Type: application/json; charset=utf-8, or no charset).'],
  range_not_satisfiable: [416, 'The requested range is not satisfiable.'],
  headers_too_large: [431, 'The request headers are too large.'],
  // 429
  too_many_requests: [429, 'Too many attempts. Wait and try again.'],
  // 5xx
  internal_error: [500, 'Something went wrong on the server.'],
  service_unavailable: [503, 'The service is not available right now.'],
  store_unavailable: [
    503,
    'The database cannot be reached right now (it may be restarting). Nothing was changed; try again shortly.',
  ],
  storage_full: [
    507,
    "The server's disk is full, so nothing was saved. The server's operator must free space on the disk that holds the data folder or the database.",
  ],
  // ---- playback (issue 14) ----
  transcode_failed: [502, 'This file could not be converted for playback. The server log says why.'],
  transcode_busy: [503, 'Every encoder is busy converting other films. Try again in a moment.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCodes[code][1]);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code][0];
    this.details = details;
  }
}

/** A throttled attempt: carries the wait time for the Retry-After header. */
export class ThrottledError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too_many_requests', `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, {
      retry_after: retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
