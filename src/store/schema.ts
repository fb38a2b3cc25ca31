// The database's shape, as Kysely sees it. Times are epoch milliseconds (bigint in PostgreSQL,
// parsed to numbers); flags are 0/1 integers so SQLite and PostgreSQL share every query.
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];
/** Each role's rank: the owner is above every admin, an admin above every member. */
export const ROLE_RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };
export type SessionKind = 'web' | 'device' | 'app';

export interface UsersTable {
  id: string;
  username: string;
  username_lower: string;
  email: string;
  email_lower: string;
  display_name: string | null;
  role: Role;
  password_hash: string | null;
  password_changed_at: number | null;
  disabled: number;
  reset_required: number;
  reset_required_reason: string | null;
  email_verified: number;
  anti_phishing_phrase: string | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  kind: SessionKind;
  device_name: string | null;
  platform: string | null;
  client: string | null;
  /** issue-19: the browser's major version ("131"), so two browsers of one computer are told apart. */
  client_version?: string | null;
  ip: string | null;
  /** JSON array of scopes for app passwords; null means the full account. */
  scopes: string | null;
  created_at: number;
  last_seen_at: number;
  /** When the holder last proved a password or factor: step-up checks read it. */
  auth_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
}

export interface InvitesTable {
  id: string;
  token_hash: string;
  email: string | null;
  role: Role;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
  revoked_at: number | null;
}

export interface SecurityEventsTable {
  id: string;
  user_id: string | null;
  type: string;
  ip: string | null;
  device: string | null;
  detail: string | null;
  created_at: number;
}

export interface ThrottleTable {
  key: string;
  failures: number;
  window_start: number;
  blocked_until: number;
}

export interface KnownDevicesTable {
  user_id: string;
  device_id: string;
  first_seen_at: number;
  last_seen_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  type: string;
  payload: string;
  state: JobState;
  progress: string | null;
  /** Where a resumable job got to: the next worker starts from here after a crash. */
  checkpoint: string | null;
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  cancel_requested: number;
  /** At most one job per key (e.g. one mail per user per breach response). */
  dedupe_key: string | null;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export type LinkCodeStatus = 'pending' | 'approved' | 'denied' | 'spent';

/** A device-code link in progress (RFC 8628): both codes stored only as SHA-256. */
export interface LinkCodesTable {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client: string;
  platform: string;
  device_name: string;
  /** The address that asked for the code: shown on the approval page. */
  ip: string | null;
  status: LinkCodeStatus;
  interval_seconds: number;
  last_polled_at: number | null;
  user_id: string | null;
  /** The session that approved: if it is gone by pickup, so is the approval. */
  approved_by_session: string | null;
  session_id: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  spent_at: number | null;
}

export interface TotpFactorsTable {
  user_id: string;
  /** The seed, AES-GCM encrypted with a key derived from the secret key, bound to the user id (S05). */
  secret_enc: string;
  /** null while set up but not yet confirmed with a code. */
  enabled_at: number | null;
  /** The last accepted time step: a code is never accepted twice (S40). */
  last_used_step: number | null;
  created_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface PasskeysTable {
  id: string;
  user_id: string;
  /** base64url, as the browser reports it. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** JSON array of transports, as the authenticator reported them. */
  transports: string | null;
  name: string;
  device_type: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

export type PendingSignInPurpose = 'mfa' | 'password_change';

export interface PendingSignInsTable {
  id: string;
  token_hash: string;
  purpose: PendingSignInPurpose;
  user_id: string;
  session_kind: 'web' | 'device';
  /** JSON of the device the client declared at sign-in. */
  device: string | null;
  ip: string | null;
  user_agent: string | null;
  failures: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** Which password approved the step (passwordStamp of the hash checked); null when none was (a passkey). */
  password_stamp: string | null;
}

export interface WebauthnChallengesTable {
  challenge_hash: string;
  purpose: 'register' | 'sign_in' | 'mfa';
  user_id: string | null;
  pending_id: string | null;
  expires_at: number;
}

/**
 * sending: handed to the transport and not yet confirmed. unconfirmed: a worker died during that hand-over
 * (the server may have the message): it is not sent again on its own (issue-20b).
 */
export type MailState = 'queued' | 'sending' | 'sent' | 'failed' | 'unconfirmed';

export interface MailMessagesTable {
  id: string;
  user_id: string | null;
  recipient: string;
  template: string;
  subject: string;
  /** Sealed (encrypt() with a key derived from the secret key): the body may hold a one-use link. */
  text: string;
  html: string;
  state: MailState;
  attempts: number;
  /** The RFC 5322 Message-ID, the same on every attempt, so a resend after a crash is recognisable. */
  message_id: string;
  job_id: string | null;
  transport: 'smtp' | 'outbox' | null;
  outbox_file: string | null;
  sent_at: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export type MailTokenPurpose = 'verify_email' | 'password_reset' | 'not_me';

/** One-use tokens sent by mail (verification, reset, "this wasn't me"): stored only as SHA-256. */
export interface MailTokensTable {
  id: string;
  user_id: string;
  purpose: MailTokenPurpose;
  token_hash: string;
  /** The address the token was sent to (verify, reset) or is to be restored (not-me after an address change). */
  email: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type LibraryKindName = 'movies' | 'shows' | 'music' | 'videos';

export interface LibrariesTable {
  id: string;
  name: string;
  name_lower: string;
  kind: LibraryKindName;
  /** JSON array of absolute folder paths. */
  paths: string;
  /** Numbers the library's scan jobs: the dedupe key of the next scan is `scan:<id>:<scan_seq>`. */
  scan_seq: number;
  /**
   * SHA-256 of the artwork files the last completed scan found; null while a scan is under way or after
   * one was cut short. A rescan that finds no change and the same signature has nothing to redo.
   */
  scan_signature: string | null;
  created_at: number;
  updated_at: number;
}

export interface LibraryGrantsTable {
  user_id: string;
  library_id: string;
  created_at: number;
}

export type MediaItemType = 'movie' | 'show' | 'season' | 'episode' | 'artist' | 'album' | 'track' | 'video' | 'extra';
export type ProbeState = 'pending' | 'done' | 'failed' | 'skipped';

/** Browsable items: files (movie, episode, track, video, extra) and the groups above them (show, season, artist, album). */
export interface MediaItemsTable {
  id: string;
  library_id: string;
  parent_id: string | null;
  type: MediaItemType;
  title: string;
  sort_title: string;
  /** Lower-case title words without accents (plus show, artist, album names) for search. */
  search_text: string;
  year: number | null;
  /** Season, episode or track number. */
  index_number: number | null;
  /** Last episode of a multi-episode file. */
  index_end: number | null;
  disc_number: number | null;
  part: number | null;
  edition: string | null;
  air_date: string | null;
  artist: string | null;
  extra_type: string | null;
  /** Identity of a group (show, season, artist, album) within its library. */
  group_key: string | null;
  /** The folder (under the library root) whose local artwork belongs to this item. */
  folder: string | null;
  path: string | null;
  rel_path: string | null;
  size: number | null;
  mtime_ms: number | null;
  ino: string | null;
  /** SHA-256 of the first and last 64 KiB and the size: finds a moved file whose inode changed. */
  fingerprint: string | null;
  mime: string | null;
  container: string | null;
  video_codec: string | null;
  audio_codec: string | null;
  width: number | null;
  height: number | null;
  pix_fmt: string | null;
  duration_seconds: number | null;
  browser_playable: number;
  embedded_cover: number;
  poster_path: string | null;
  fanart_path: string | null;
  probe_state: ProbeState;
  probe_error: string | null;
  added_at: number;
  updated_at: number;
  // ---- issue 17 (migration 0014): versions, parts, NFO metadata, chapters, thumbnails ----
  /** What sets this file apart from the other versions of its movie (`1080p`, `Director's Cut`, `3D`). */
  version_label: string | null;
  /** Set on a later part or another version: the item shown for all of them. */
  primary_id: string | null;
  original_title: string | null;
  plot: string | null;
  tagline: string | null;
  /** 0–10. */
  rating: number | null;
  certification: string | null;
  /** `YYYY-MM-DD`. */
  premiered: string | null;
  runtime_minutes: number | null;
  /** JSON string arrays. */
  genres: string | null;
  studios: string | null;
  tags: string | null;
  /** JSON `[{ name, role, kind: 'actor' | 'director' | 'writer', thumb }]`. */
  people: string | null;
  /** The collection (Kodi's set) this movie belongs to. */
  collection: string | null;
  /** JSON `{ tmdb?, imdb?, tvdb? }`. */
  external_ids: string | null;
  /** `size:mtime` of the NFO read last; null when none applies. */
  nfo_stamp: string | null;
  /** JSON `[{ start_seconds, end_seconds, title }]` from the container. */
  chapters: string | null;
  /** A frame made by the thumbnail job, under the data folder. */
  thumb_path: string | null;
  /** `size:mtime` of the file the thumbnail was made from. */
  thumb_stamp: string | null;
}

// ---- issue 15: Jellyfin door ----
export interface MediaFavoritesTable {
  user_id: string;
  item_id: string;
  created_at: number;
}

export interface MediaProgressTable {
  user_id: string;
  item_id: string;
  position_seconds: number;
  watched: number;
  updated_at: number;
}

export interface BreachResponsesTable {
  id: string;
  /** JSON: {"kind":"all"} | {"kind":"users","user_ids":[...]} | {"kind":"active","since":ms,"until":ms}. */
  scope: string;
  scope_key: string;
  /** scope_key while the response runs, null after: one running response per scope. */
  active_key: string | null;
  reason: string;
  /** The operator's notice text, put at the head of every user's mail. */
  message: string;
  rotate_password_key: number;
  /** The password key version the response rotated to, once it did. */
  password_key_version: number | null;
  users_total: number;
  /** null until the response has voided the open invites (done once, at its start). */
  invites_voided: number | null;
  sessions_revoked: number;
  app_passwords_revoked: number;
  batch_size: number;
  job_id: string | null;
  notices_job_id: string | null;
  created_by: string | null;
  created_by_name: string;
  created_at: number;
  /** When the last user in scope was flagged: sessions made up to then are revoked. */
  flagged_at: number | null;
  finished_at: number | null;
}

export interface BreachResponseUsersTable {
  response_id: string;
  /** The user's created_at: the order a response walks users in. */
  user_created_at: number;
  user_id: string;
  flagged_at: number;
  tokens_voided: number;
  /** The notice mail, once queued. */
  mail_id: string | null;
}

// issue-20a: the users of an active-window breach response, taken when it starts (migration 0015).
export interface BreachResponseScopeTable {
  response_id: string;
  user_created_at: number;
  user_id: string;
}

export interface SecurityAlertsTable {
  id: string;
  kind: string;
  subject: string;
  window_start: number;
  detail: string;
  created_at: number;
}

// ---- issue 16: music and the Subsonic door ----------------------------------------------------------------

/** A Subsonic app password sealed with a key derived from the secret key (S95): token sign-in (t/s) needs it. */
export interface SubsonicSecretsTable {
  session_id: string;
  user_id: string;
  secret_enc: string;
  created_at: number;
}

/** Tags of a track beyond what its place in the tree says. */
export interface MusicTagsTable {
  item_id: string;
  album_artist: string | null;
  compilation: number;
  original_year: number | null;
  disc_total: number | null;
  track_total: number | null;
  /** JSON array of genre names, in tag order. */
  genres: string | null;
  mb_track_id: string | null;
  mb_recording_id: string | null;
  mb_album_id: string | null;
  mb_artist_id: string | null;
  mb_album_artist_id: string | null;
  rg_track_gain: number | null;
  rg_track_peak: number | null;
  rg_album_gain: number | null;
  rg_album_peak: number | null;
  bitrate: number | null;
  sample_rate: number | null;
  channels: number | null;
  /** Embedded lyrics: LRC text when timed. */
  lyrics: string | null;
}

export interface MusicGenresTable {
  item_id: string;
  genre: string;
}

export interface MusicRatingsTable {
  user_id: string;
  item_id: string;
  rating: number;
}

export interface MusicPlaysTable {
  id: string;
  user_id: string;
  item_id: string;
  album_id: string | null;
  played_at: number;
}

export interface PlaylistsTable {
  id: string;
  user_id: string;
  name: string;
  comment: string | null;
  public: number;
  created_at: number;
  updated_at: number;
}

export interface PlaylistEntriesTable {
  playlist_id: string;
  position: number;
  item_id: string;
}

export interface PlayQueuesTable {
  user_id: string;
  /** JSON array of item ids. */
  item_ids: string;
  current_id: string | null;
  position_ms: number;
  changed_by: string | null;
  changed_at: number;
}

export interface MusicDatabase {
  subsonic_secrets: SubsonicSecretsTable;
  music_tags: MusicTagsTable;
  music_genres: MusicGenresTable;
  music_ratings: MusicRatingsTable;
  music_plays: MusicPlaysTable;
  playlists: PlaylistsTable;
  playlist_entries: PlaylistEntriesTable;
  play_queues: PlayQueuesTable;
}
// ---- end issue 16 -------------------------------------------------------------------------------------------

export interface Database extends MusicDatabase {
  mail_messages: MailMessagesTable;
  mail_tokens: MailTokensTable;
  jobs: JobsTable;
  users: UsersTable;
  sessions: SessionsTable;
  invites: InvitesTable;
  security_events: SecurityEventsTable;
  throttle: ThrottleTable;
  known_devices: KnownDevicesTable;
  meta: MetaTable;
  libraries: LibrariesTable;
  library_grants: LibraryGrantsTable;
  media_items: MediaItemsTable;
  media_progress: MediaProgressTable;
  media_favorites: MediaFavoritesTable;
  link_codes: LinkCodesTable;
  totp_factors: TotpFactorsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  pending_sign_ins: PendingSignInsTable;
  webauthn_challenges: WebauthnChallengesTable;
  breach_responses: BreachResponsesTable;
  breach_response_users: BreachResponseUsersTable;
  breach_response_scope: BreachResponseScopeTable;
  security_alerts: SecurityAlertsTable;
}
