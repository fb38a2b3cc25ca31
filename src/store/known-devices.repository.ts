import { compiledOnce, type Db, type Parameter } from './db.ts';

// Every sign-in runs these: compiled once (see compiledOnce).
const knownDevice = compiledOnce((db, p: Parameter<'userId' | 'deviceId'>) =>
  db
    .selectFrom('known_devices')
    .select('last_seen_at')
    .where('user_id', '=', p('userId'))
    .where('device_id', '=', p('deviceId')),
);

const newDevice = compiledOnce((db, p: Parameter<'userId' | 'deviceId' | 'now'>) =>
  db
    .insertInto('known_devices')
    .values({ user_id: p('userId'), device_id: p('deviceId'), first_seen_at: p('now'), last_seen_at: p('now') })
    .onConflict((oc) => oc.columns(['user_id', 'device_id']).doNothing())
    .returning('device_id'),
);

const deviceSeen = compiledOnce((db, p: Parameter<'userId' | 'deviceId' | 'now'>) =>
  db
    .updateTable('known_devices')
    .set({ last_seen_at: p('now') })
    .where('user_id', '=', p('userId'))
    .where('device_id', '=', p('deviceId'))
    .returning('device_id'),
);

/** When a device known to the user was last seen signing in (ms), or undefined for a device it does not know. */
export async function knownDeviceSeenAt(db: Db, userId: string, deviceId: string): Promise<number | undefined> {
  return (await knownDevice(db, { userId, deviceId }))[0]?.last_seen_at;
}

/** Records a device as known to the user; true when it was new. */
export async function rememberDevice(db: Db, userId: string, deviceId: string, now: Date): Promise<boolean> {
  const t = now.getTime();
  // Most sign-ins come from a device seen before: one statement for them.
  if ((await deviceSeen(db, { userId, deviceId, now: t })).length > 0) return false;
  // Two first sign-ins of one device at once: one inserts, the other finds it there and is not new.
  return (await newDevice(db, { userId, deviceId, now: t })).length > 0;
}

export async function forgetDevices(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('known_devices').where('user_id', '=', userId).execute();
}
