// Writes that race a check made earlier in the same request: the write itself carries the condition, so what
// landed in between (an invite cancelled or voided, a factor enabled) is never overwritten or ignored.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { registerWithInvite } from '../../src/accounts/invites.ts';
import { sha256 } from '../../src/crypto.ts';
import { insertInvite, revokeOpenInvites } from '../../src/store/invites.repository.ts';
import { voidInvitesOfScope } from '../../src/store/breach.repository.ts';
import { upsertPendingTotp } from '../../src/store/factors.repository.ts';
import { POSTGRES_URL, storeKinds } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.each(await storeKinds())('writes that race an earlier check, on %s', (store) => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  async function seedInvite(server: TestServer, token: string, createdBy: string): Promise<string> {
    const id = `inv-${token}`;
    const now = Date.now();
    await insertInvite(server.deps.db, {
      id,
      token_hash: sha256(token),
      email: null,
      role: 'member',
      created_by: createdBy,
      created_at: now,
      expires_at: now + 3600_000,
      used_at: null,
      used_by: null,
      revoked_at: null,
    });
    return id;
  }

  // The registration checks the invite, hashes the password (hundreds of milliseconds), then claims the invite.
  for (const how of ['cancelled by an admin', 'voided by a breach response'] as const) {
    it(`S25: an invite ${how} during registration creates no account`, async () => {
      s = await startTestServer({ store, background: false });
      const admin = await s.createUser({ username: 'admin1', role: 'owner' });
      const token = `hi_review_${how.length}_0123456789abcdef`;
      const inviteId = await seedInvite(s, token, admin.id);
      const server = s;
      const real = s.deps.passwords;
      const passwords = Object.create(real) as typeof real;
      // The revocation lands while the password is being hashed (hundreds of ms of argon2 in real life).
      passwords.hash = async (password: string) => {
        if (how === 'cancelled by an admin')
          expect(await revokeOpenInvites(server.deps.db, { id: inviteId }, new Date())).toBe(1);
        else expect(await voidInvitesOfScope(server.deps.db, { kind: 'all' }, new Date())).toBe(1);
        return real.hash(password);
      };
      const attempt = registerWithInvite(
        { ...s.deps, passwords },
        {
          inviteToken: token,
          username: 'latecomer',
          email: 'late@example.org',
          password: 'pewter lagoon cricket sash',
        },
        { ip: '127.0.0.1' },
        new Date(),
      );
      await expect(attempt).rejects.toThrow();
      const users = await s.deps.db
        .selectFrom('users')
        .select('username')
        .where('username_lower', '=', 'latecomer')
        .execute();
      expect(users).toEqual([]);
      const invite = await s.deps.db
        .selectFrom('invites')
        .select(['used_at', 'revoked_at'])
        .where('id', '=', inviteId)
        .executeTakeFirstOrThrow();
      // Never both revoked and used.
      expect(invite.used_at === null || invite.revoked_at === null).toBe(true);
    });
  }
});

describe.runIf((await storeKinds()).includes('postgres'))('a TOTP setup restart on PostgreSQL', () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  // Restarting setup reads the row, then writes it. On PostgreSQL (READ COMMITTED) an enable can commit between the
  // two; SQLite's BEGIN IMMEDIATE serialises them, so this one runs on PostgreSQL only.
  it('S42: a TOTP setup restart racing the enable of the same seed never switches off an enabled factor', async () => {
    s = await startTestServer({ store: 'postgres', background: false });
    const user = await s.createUser({ username: 'twofactor' });
    const t = Date.now();
    await s.deps.db
      .insertInto('totp_factors')
      .values({ user_id: user.id, secret_enc: 'seed-A', enabled_at: null, last_used_step: null, created_at: t })
      .execute();
    const other = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${s.schema}` });
    await other.connect();
    try {
      // Another request (POST /totp/enable) holds the row while it confirms seed A.
      await other.query('begin');
      await other.query('select * from totp_factors where user_id = $1 for update', [user.id]);
      const restart = upsertPendingTotp(s.deps.db, {
        user_id: user.id,
        secret_enc: 'seed-B',
        enabled_at: null,
        last_used_step: null,
        created_at: t + 1,
      });
      // Wait until the restart has read the row and blocks on its UPDATE.
      for (let i = 0; i < 100; i++) {
        const { rows } = await other.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'update "totp_factors"%'`,
        );
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await other.query(
        `update totp_factors set enabled_at = $1, last_used_step = 1 where user_id = $2 and secret_enc = 'seed-A' and enabled_at is null`,
        [t + 2, user.id],
      );
      await other.query('commit');
      await restart;
    } finally {
      await other.end();
    }
    const row = await s.deps.db
      .selectFrom('totp_factors')
      .selectAll()
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    // The enable committed: the factor must still be on, with the seed it was confirmed with.
    expect(row.enabled_at).not.toBeNull();
    expect(row.secret_enc).toBe('seed-A');
  });
});
