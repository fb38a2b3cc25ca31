// A second process on a SQLite data folder: opens a transaction, reads, says so on stdout, waits, then writes and
// commits (test/store/sqlite-transactions.test.ts). Prints "committed" or the error it met.
import { openStore } from '../../src/store/db.ts';
import { getMeta, setMeta } from '../../src/store/meta.repository.ts';

const store = openStore({ databaseUrl: null, databaseSchema: null, dataDir: process.argv[2]! });
try {
  await store.db.transaction().execute(async (trx) => {
    await getMeta(trx, 'race');
    process.stdout.write('read\n');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await setMeta(trx, 'race', 'from the other process');
  });
  process.stdout.write('committed\n');
} catch (err) {
  process.stdout.write(`failed: ${(err as Error).message}\n`);
} finally {
  await store.close();
}
