// The new-address question of every sign-in (has this user signed in from this address before?) must stay
// one index lookup however long the account's history is: it used to walk all of the user's events.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSignIns } from '../../src/store/mail.repository.ts';
import { storeKinds } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.each(await storeKinds())('sign-ins by address on %s', (store) => {
  let s: TestServer;
  let userId: string;
  beforeAll(async () => {
    s = await startTestServer({ store, background: false });
    userId = (await s.createUser({ username: 'traveller' })).id;
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `event-${i}`,
      user_id: userId,
      type: i % 3 === 0 ? 'session_revoked' : 'sign_in',
      ip: `10.0.${i % 7}.1`,
      device: null,
      detail: null,
      created_at: 1_700_000_000_000 + i,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await s.deps.db
        .insertInto('security_events')
        .values(rows.slice(i, i + 500))
        .execute();
  });
  afterAll(async () => s?.close());

  it('counts sign-ins from an address up to two, and none from a new one', async () => {
    expect(await countSignIns(s.deps.db, userId, '10.0.3.1')).toBe(2);
    expect(await countSignIns(s.deps.db, userId, '192.0.2.77')).toBe(0);
    expect(await countSignIns(s.deps.db, userId)).toBe(2);
    // Other events from the address are not sign-ins.
    await s.deps.db
      .insertInto('security_events')
      .values({
        id: 'revoked-only',
        user_id: userId,
        type: 'session_revoked',
        ip: '192.0.2.78',
        device: null,
        detail: null,
        created_at: 1,
      })
      .execute();
    expect(await countSignIns(s.deps.db, userId, '192.0.2.78')).toBe(0);
  });
});

describe('sign-ins by address on SQLite', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ store: 'sqlite', background: false });
  });
  afterAll(async () => s?.close());

  it("asks the index of sign-ins by address, not the walk over the user's events", () => {
    const db = new SQLite(join(s.dataDir, 'hearth.db'), { readonly: true });
    try {
      const plan = db
        .prepare(
          `explain query plan select count(*) as n from (select 1 from security_events where user_id = ? and type = 'sign_in' and ip = ? limit 2)`,
        )
        .all('someone', '192.0.2.77') as { detail: string }[];
      expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING COVERING INDEX security_events_sign_in_address/);
    } finally {
      db.close();
    }
  });
});
