// One thread of the password-hashing pool (see hash-pool.ts). Plain JavaScript, so that it starts the same
// whether the server runs through tsx, Vitest or anything else: it only takes jobs and answers them in order.
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? hashSync(job.input, job.options) : verifySync(job.phc, job.input);
    parentPort.postMessage({ id: job.id, value });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
