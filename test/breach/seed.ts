// Many users, fast: written straight into the store with one precomputed password hash (argon2 per user
// would take minutes), each with some sessions. For the crash test and the benchmark.
import { randomBytes } from 'node:crypto';
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
    for (let i = 0; i < sessions.length; i += chunk) await db.insertInto('sessions').values(sessions.slice(i, i + chunk)).execute();
  }
  return ids;
}
