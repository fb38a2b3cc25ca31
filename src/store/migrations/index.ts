// Every migration, in order. Add a file per change; never edit one that has shipped.
import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts.ts';

export const migrations: Record<string, Migration> = {
  '0001_accounts': m0001,
};
