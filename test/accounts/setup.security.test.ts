// Claiming a fresh server (S13): the setup token makes one owner, also when two claims race for it.
import { afterEach, describe, expect, it } from 'vitest';
import { OWNER } from '../helpers/accounts.ts';
import { SETUP_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

/** Every transaction keeps its locks a moment before it commits, so that a second one runs into them. */
function slowCommits(s: TestServer, ms: number): () => void {
  const db = s.deps.db;
  const transaction = db.transaction.bind(db);
  db.transaction = () => {
    const builder = transaction();
    const execute = builder.execute.bind(builder);
    builder.execute = (callback) =>
      execute(async (trx) => {
        const result = await callback(trx);
        await new Promise((resolve) => setTimeout(resolve, ms));
        return result;
      });
    return builder;
  };
  return () => {
    db.transaction = transaction;
  };
}

describe.each(await storeKinds())('first-owner setup on %s', (store) => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('S13: two setup claims at once create one owner, not two', async () => {
    s = await startTestServer({ store });
    const server = s;
    // Both claims finish hashing together and open their transactions at once, as two requests sent together would.
    const hash = server.deps.passwords.hash.bind(server.deps.passwords);
    let arrived = 0;
    let go!: () => void;
    const together = new Promise<void>((resolve) => (go = resolve));
    server.deps.passwords.hash = async (password) => {
      const h = await hash(password);
      if (++arrived === 2) go();
      await together;
      return h;
    };
    const restore = slowCommits(server, 300);
    const claim = (name: string) =>
      server.request('POST', '/api/v1/setup', {
        body: { setup_token: SETUP_TOKEN, username: name, email: `${name}@example.org`, password: OWNER.password },
      });
    let answers;
    try {
      answers = await Promise.all([claim('alpha'), claim('bravo')]);
    } finally {
      restore();
    }
    const owners = await server.deps.db.selectFrom('users').select('username').where('role', '=', 'owner').execute();
    expect(owners).toHaveLength(1);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 403]);
    const refused = answers.find((a) => a.status === 403)!;
    expect(refused.body.error.code).toBe('setup_done');
    expect(answers.find((a) => a.status === 201)!.body.user.username).toBe(owners[0]!.username);
    expect((await server.request('GET', '/api/v1/setup')).body).toEqual({ setup_required: false });
  });
});
