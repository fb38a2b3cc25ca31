// Many users, fast: written straight into the store with one precomputed password hash (argon2 per user
// would take minutes), each with some sessions. For the crash test and the benchmark.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { sha256 } from '../../src/crypto.ts';
import type { Db } from '../../src/store/db.ts';
import type { SessionsTable, UsersTable } from '../../src/store/schema.ts';

export interface SeedOptions {
  users: number;
  sessionsPerUser: number;
  /** One precomputed hash for everyone. */
  passwordHash: string;
  now: Date;
  /** Rows per INSERT. */
  chunk?: number;
  /** The i-th user's username (lower case); `user0000000` on. */
  username?: (i: number) => string;
}

export async function seedUsers(db: Db, options: SeedOptions): Promise<string[]> {
  const t = options.now.getTime();
  const chunk = options.chunk ?? 500;
  const ids: string[] = [];
  // Written a chunk of users (and their sessions) at a time: a million users' rows at once would be gigabytes.
  for (let start = 0; start < options.users; start += chunk) {
    const users: UsersTable[] = [];
    const sessions: SessionsTable[] = [];
    for (let i = start; i < Math.min(options.users, start + chunk); i++) {
      const id = randomBytes(16).toString('base64url');
      ids.push(id);
      const username = options.username?.(i) ?? `user${String(i).padStart(7, '0')}`;
      users.push({
        id,
        username,
        username_lower: username,
        email: `${username}@example.org`,
        email_lower: `${username}@example.org`,
        display_name: null,
        role: 'member',
        password_hash: options.passwordHash,
        password_changed_at: t,
        disabled: 0,
        reset_required: 0,
        reset_required_reason: null,
        email_verified: 1,
        anti_phishing_phrase: null,
        // Made one after another, as users are: their rows lie in the order they were made.
        created_at: t - options.users + i,
        updated_at: t,
      });
      for (let j = 0; j < options.sessionsPerUser; j++) {
        sessions.push({
          id: randomBytes(16).toString('base64url'),
          user_id: id,
          token_hash: sha256(randomBytes(32)),
          kind: j === 2 ? 'app' : j === 1 ? 'device' : 'web',
          device_name: `Device ${j}`,
          platform: 'test',
          client: 'test',
          ip: '192.0.2.1',
          scopes: j === 2 ? '["media:read"]' : null,
          created_at: t,
          last_seen_at: t,
          auth_at: t,
          expires_at: t + 365 * 24 * 3600_000,
          revoked_at: null,
          revoke_reason: null,
        });
      }
    }
    await db.insertInto('users').values(users).execute();
    for (let i = 0; i < sessions.length; i += chunk)
      await db
        .insertInto('sessions')
        .values(sessions.slice(i, i + chunk))
        .execute();
  }
  return ids;
}

/**
 * The same users and sessions as seedUsers (but hex ids and token hashes), made by the store itself in two
 * INSERT … SELECT statements: a million users and three million sessions in seconds, without building the rows
 * in this process. For the benchmark.
 */
export async function seedUsersInStore(
  db: Db,
  dialect: 'sqlite' | 'postgres',
  options: Omit<SeedOptions, 'chunk' | 'username'>,
): Promise<void> {
  const t = options.now.getTime();
  const n = options.users;
  const year = 365 * 24 * 3600_000;
  const pg = dialect === 'postgres';
  const big = (v: number) => sql`cast(${v} as bigint)`;
  const randomHex = (bytes: number) =>
    pg
      ? sql.raw(Array.from({ length: bytes / 16 }, () => 'md5(random()::text)').join(' || '))
      : sql.raw(`lower(hex(randomblob(${bytes})))`);
  const name = pg ? sql.raw(`'user' || lpad(i::text, 7, '0')`) : sql.raw(`'user' || printf('%07d', i)`);
  const numbers = (count: number, column: string) =>
    pg
      ? sql.raw(`generate_series(0, ${count - 1}) as ${column}`)
      : sql.raw(
          `(with recursive s(${column}) as (select 0 union all select ${column} + 1 from s where ${column} < ${count - 1}) select ${column} from s)`,
        );
  await sql`
    insert into users (id, username, username_lower, email, email_lower, display_name, role, password_hash, password_changed_at,
      disabled, reset_required, reset_required_reason, email_verified, anti_phishing_phrase, created_at, updated_at)
    select ${randomHex(16)}, ${name}, ${name}, ${name} || '@example.org', ${name} || '@example.org', null, 'member', cast(${options.passwordHash} as text),
      ${big(t)}, 0, 0, null, 1, null, ${big(t - n)} + i, ${big(t)}
    from ${numbers(n, 'i')}
    order by i`.execute(db);
  if (options.sessionsPerUser === 0) return;
  await sql`
    insert into sessions (id, user_id, token_hash, kind, device_name, platform, client, ip, scopes, created_at, last_seen_at, auth_at,
      expires_at, revoked_at, revoke_reason)
    select ${randomHex(16)}, u.id, ${randomHex(32)}, case j when 2 then 'app' when 1 then 'device' else 'web' end, 'Device ' || j,
      'test', 'test', '192.0.2.1', case j when 2 then '["media:read"]' else null end, ${big(t)}, ${big(t)}, ${big(t)}, ${big(t + year)},
      null, null
    from users u cross join ${numbers(options.sessionsPerUser, 'j')}
    order by u.created_at, j`.execute(db);
}
