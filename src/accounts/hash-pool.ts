// Where argon2 runs: one worker thread per core, each taking its jobs in order. Each hash walks 19 MiB of
// memory; more of them at once than there are cores only makes every one slower (they share the caches and
// the cores, and the event loop waits for a core too). The jobs queue in the workers themselves, so a worker
// that finishes starts its next job at once, without waiting for the event loop; and libuv's threads stay free
// for the files being streamed. Every hash and every check, the dummy one included, goes through here.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Options as Argon2Options } from '@node-rs/argon2';

type Job = { op: 'hash'; input: string; options: Argon2Options } | { op: 'verify'; phc: string; input: string };
type Answer = { id: number; value?: string | boolean; error?: string };

interface Lane {
  worker: Worker;
  pending: Map<number, { resolve(value: string | boolean): void; reject(err: Error): void }>;
}

export class HashPool {
  private readonly lanes: (Lane | null)[];
  private nextId = 1;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    this.lanes = Array.from({ length: size }, () => null);
  }

  hash(input: string, options: Argon2Options): Promise<string> {
    return this.run({ op: 'hash', input, options }) as Promise<string>;
  }

  verify(phc: string, input: string): Promise<boolean> {
    return this.run({ op: 'verify', phc, input }) as Promise<boolean>;
  }

  private run(job: Job): Promise<string | boolean> {
    const id = this.nextId++;
    const lane = this.leastBusyLane();
    return new Promise((resolve, reject) => {
      lane.pending.set(id, { resolve, reject });
      if (lane.pending.size === 1) lane.worker.ref();
      lane.worker.postMessage({ ...job, id });
    });
  }

  private leastBusyLane(): Lane {
    let best = -1;
    for (let i = 0; i < this.lanes.length; i += 1) {
      const lane = this.lanes[i];
      if (!lane) return (this.lanes[i] = this.startLane(i));
      if (best < 0 || lane.pending.size < this.lanes[best]!.pending.size) best = i;
    }
    return this.lanes[best]!;
  }

  private startLane(index: number): Lane {
    const worker = new Worker(new URL('./hash-worker.mjs', import.meta.url));
    const lane: Lane = { worker, pending: new Map() };
    // An idle pool never keeps the process alive; a busy one does, until its jobs are answered.
    worker.unref();
    worker.on('message', (answer: Answer) => {
      const waiting = lane.pending.get(answer.id);
      if (!waiting) return;
      lane.pending.delete(answer.id);
      if (lane.pending.size === 0) worker.unref();
      if (answer.error !== undefined) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer.value!);
    });
    const fail = (err: Error) => {
      if (this.lanes[index] === lane) this.lanes[index] = null;
      for (const waiting of lane.pending.values()) waiting.reject(err);
      lane.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the password hashing thread stopped (exit code ${code})`)));
    return lane;
  }
}

/** The process's one pool. */
export const hashPool = new HashPool();
