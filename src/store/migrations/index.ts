// Every migration, in order. Add a file per change; never edit one that has shipped.
import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts.ts';
import * as m0002 from './0002_jobs.ts';
import * as m0003 from './0003_mail.ts';
import * as m0004 from './0004_factors.ts';
import * as m0005 from './0005_linking.ts';
import * as m0006 from './0006_media.ts';
import * as m0007 from './0007_breach.ts';
import * as m0008 from './0008_sign_in_addresses.ts';
import * as m0009 from './0009_pending_sign_in_password_stamp.ts';
import * as m0012 from './0012_media_favorites.ts';
import * as m0013 from './0013_music.ts';
import * as m0014 from './0014_library_metadata.ts';
import * as m0015 from './0015_breach_scope_snapshot.ts';
import * as m0017 from './0017_device_details.ts';

export const migrations: Record<string, Migration> = {
  '0001_accounts': m0001,
  '0002_jobs': m0002,
  '0003_mail': m0003,
  '0004_factors': m0004,
  '0005_linking': m0005,
  '0006_media': m0006,
  '0007_breach': m0007,
  '0008_sign_in_addresses': m0008,
  '0009_pending_sign_in_password_stamp': m0009,
  '0012_media_favorites': m0012,
  '0013_music': m0013,
  '0014_library_metadata': m0014,
  '0015_breach_scope_snapshot': m0015,
  '0017_device_details': m0017,
};
