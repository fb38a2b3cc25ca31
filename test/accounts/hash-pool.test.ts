// The password-hashing threads: real argon2 in worker threads, one per core, jobs queued in the workers.
import { describe, expect, it } from 'vitest';
import { HashPool } from '../../src/accounts/hash-pool.ts';

const options = { algorithm: 2, version: 1, outputLen: 32, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

describe('the hashing pool', () => {
  it('hashes and verifies with argon2id, and answers every one of many jobs queued at once', async () => {
    const pool = new HashPool(2);
    const phc = await pool.hash('input one', options);
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => pool.verify(phc, i % 3 === 0 ? 'input one' : `other ${i}`)),
    );
    expect(answers).toEqual([true, false, false, true, false, false, true, false, false]);
  });

  it('a malformed hash is an error for that job only; the thread goes on with the next', async () => {
    const pool = new HashPool(1);
    const phc = await pool.hash('input', options);
    const [bad, good] = await Promise.allSettled([
      pool.verify('$argon2id$not-a-hash', 'input'),
      pool.verify(phc, 'input'),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good).toEqual({ status: 'fulfilled', value: true });
  });

  it('a thread that dies fails the jobs it held, and the next job gets a new thread', async () => {
    const pool = new HashPool(1);
    const phc = await pool.hash('input', options);
    // Five jobs queue on the one thread; it is stopped long before the last of them can be done.
    const held = Array.from({ length: 5 }, () => pool.verify(phc, 'input'));
    const lane = (pool as unknown as { lanes: ({ worker: { terminate(): Promise<number> } } | null)[] }).lanes[0]!;
    await lane.worker.terminate();
    const settled = await Promise.allSettled(held);
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const s of failed)
      expect(String((s as PromiseRejectedResult).reason)).toContain('the password hashing thread stopped');
    expect(await pool.verify(phc, 'input')).toBe(true);
  });
});
