// GET /api/v1/health: "ok" while the store answers and has room; otherwise what is wrong, in words an
// operator can act on (the same codes a request meets: storage_full, store_unavailable).
import type { Deps } from './deps.ts';
import { errorCodes } from './errors.ts';
import { checkStoreHealth, type StoreFaultCode } from './store/faults.ts';

export type Health =
  | { status: 'ok' }
  | { status: 'unavailable'; code: StoreFaultCode; message: string; since: string | null };

export async function serverHealth(deps: Pick<Deps, 'db' | 'config' | 'clock'>): Promise<Health> {
  // The data folder holds the SQLite database and the outbox either way.
  const health = await checkStoreHealth(deps.db, deps.config.dataDir, deps.clock());
  if (health.ok) return { status: 'ok' };
  return {
    status: 'unavailable',
    code: health.fault.code,
    message: `${errorCodes[health.fault.code][1]} (${health.fault.reason})`,
    since: health.since === null ? null : new Date(health.since).toISOString(),
  };
}
