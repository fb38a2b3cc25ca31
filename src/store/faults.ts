// Faults of the store that are not the request's doing: a full disk (507 storage_full) and a database that
// cannot be reached or is restarting (503 store_unavailable). Both have one answer an operator can act on,
// instead of a 500; the original error goes to the log, and the health check reports the last one.
import { sql } from 'kysely';
import { statfsSync } from 'node:fs';
import type { Db } from './db.ts';
import { setMeta } from './meta.repository.ts';

export type StoreFaultCode = 'storage_full' | 'store_unavailable';

export interface StoreFault {
  code: StoreFaultCode;
  /** What the underlying error said (for the log and the health check). */
  reason: string;
}

// PostgreSQL: disk_full; too many connections, out of memory, shutting down, starting up, connection lost.
const PG_FULL = new Set(['53100']);
const PG_UNAVAILABLE = new Set(['53200', '53300', '57P01', '57P02', '57P03', '57014']);
const NET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const PG_LOST =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable|Cannot use a pool after calling end)/;

/** The store fault behind an error (or its causes), or null for any other error. */
export function storeFaultOf(err: unknown): StoreFault | null {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | null, depth = 0;
    e && depth < 5;
    depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : '';
    const reason = `${code ? `${code}: ` : ''}${message}`;
    if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT' || PG_FULL.has(code))
      return { code: 'storage_full', reason };
    if (code === 'SQLITE_BUSY' || PG_UNAVAILABLE.has(code) || code.startsWith('08') || NET_UNAVAILABLE.has(code)) {
      return { code: 'store_unavailable', reason };
    }
    if (PG_LOST.test(message)) return { code: 'store_unavailable', reason };
    e = (e.cause ?? null) as typeof e;
  }
  return null;
}

/** Free bytes below which the data folder counts as full before anything has failed. */
export const FULL_BELOW_BYTES = 1024 * 1024;

interface FaultState {
  fault: StoreFault;
  at: number;
}

const lastFaults = new WeakMap<Db, FaultState>();

/** Remembers a fault for the health check, until the check finds the store well again. */
export function noteStoreFault(db: Db, fault: StoreFault, now: Date): void {
  lastFaults.set(db, { fault, at: now.getTime() });
}

export type StoreHealth = { ok: true } | { ok: false; fault: StoreFault; since: number | null };

/**
 * Reads and, after a full disk was seen, writes the store: a read that fails is store_unavailable; a full
 * disk stays reported until a write succeeds again. `dataDir` (SQLite) is also checked for free space.
 */
export async function checkStoreHealth(db: Db, dataDir: string | null, now: Date): Promise<StoreHealth> {
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    const fault = storeFaultOf(err) ?? {
      code: 'store_unavailable' as const,
      reason: (err as Error)?.message ?? String(err),
    };
    noteStoreFault(db, fault, now);
    return { ok: false, fault, since: now.getTime() };
  }
  if (dataDir !== null) {
    try {
      const fs = statfsSync(dataDir);
      const free = Number(fs.bavail) * Number(fs.bsize);
      if (free < FULL_BELOW_BYTES) {
        return { ok: false, fault: { code: 'storage_full', reason: `${free} bytes free in ${dataDir}` }, since: null };
      }
    } catch {
      // A data folder that cannot be examined says nothing about the store.
    }
  }
  const last = lastFaults.get(db);
  if (!last) return { ok: true };
  if (last.fault.code === 'storage_full') {
    try {
      // A write that needs room: the row is replaced each time, so probing costs no space once it passes.
      await setMeta(db, 'health_probe', String(now.getTime()));
    } catch (err) {
      const fault = storeFaultOf(err) ?? last.fault;
      return { ok: false, fault, since: last.at };
    }
  }
  lastFaults.delete(db);
  return { ok: true };
}
