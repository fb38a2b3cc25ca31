import type { Db } from './db.ts';

export async function isKnownDevice(db: Db, userId: string, deviceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('known_devices')
    .select('device_id')
    .where('user_id', '=', userId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records a device as known to the user; true when it was new. */
export async function rememberDevice(db: Db, userId: string, deviceId: string, now: Date): Promise<boolean> {
  const t = now.getTime();
  const inserted = await db
    .insertInto('known_devices')
    .values({ user_id: userId, device_id: deviceId, first_seen_at: t, last_seen_at: t })
    .onConflict((oc) => oc.columns(['user_id', 'device_id']).doNothing())
    .returning('device_id')
    .executeTakeFirst();
  if (inserted) return true;
  await db
    .updateTable('known_devices')
    .set({ last_seen_at: t })
    .where('user_id', '=', userId)
    .where('device_id', '=', deviceId)
    .execute();
  return false;
}

export async function forgetDevices(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('known_devices').where('user_id', '=', userId).execute();
}
