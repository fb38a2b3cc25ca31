import type { Kysely } from 'kysely';

// Two browsers on one computer look alike as "Chrome on Linux": the device list also shows the browser's version,
// kept beside its name. Sessions made before this migration have none.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('client_version', 'text').execute();
}
