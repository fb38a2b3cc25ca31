// Opens the store: SQLite (embedded, WAL) by default, PostgreSQL when a URL is given. Same schema,
// same queries: the dialect is the only difference.
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  sql,
  type Compilable,
  type DatabaseConnection,
  type Driver,
  type DatabaseIntrospector,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type DialectName = 'sqlite' | 'postgres';

export interface StoreOptions {
  databaseUrl: string | null;
  databaseSchema: string | null;
  dataDir: string;
  poolSize?: number;
}

export interface Store {
  db: Db;
  dialect: DialectName;
  close(): Promise<void>;
}

// int8 (COUNT(*), bigint columns) would otherwise arrive as strings; our values stay below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(options.databaseSchema ? { options: `-c search_path=${options.databaseSchema}` } : {}),
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    // Nor may one lost while checked out (between a transaction's statements): its next query fails instead,
    // which the error handler answers with 503 store_unavailable, and the pool drops it on release.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new SchemaScopedPostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  const file = join(options.dataDir, 'hearth.db');
  ownerOnly(file);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Another process (the CLI) may hold the write lock for a moment.
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }, () => sqlite.inTransaction),
  });
  // A second, read-only connection sees every commit as another connection's: this process's too.
  const watcher = new SQLite(file, { readonly: true });
  watcher.pragma('busy_timeout = 5000');
  const anyDataVersion = watcher.prepare('pragma data_version').pluck();
  const ownDataVersion = sqlite.prepare('pragma data_version').pluck();
  sqliteConnections.set(db.getExecutor().adapter, {
    busy: () => sqlite.inTransaction,
    prepare: (text) => sqlite.prepare(text),
    anyCommits: sharedReading(() => anyDataVersion.get() as number),
    // Inside a transaction the connection's own data_version may lag: no answer then.
    otherCommits: sharedReading(() => (sqlite.inTransaction ? null : (ownDataVersion.get() as number))),
  });
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      watcher.close();
      await db.destroy();
    },
  };
}

/**
 * The database file is made (or set) 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
 * database file's own mode, and would make a new one 0644, readable by everyone if the folder lets them in.
 */
function ownerOnly(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(path, 0o600);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Transactions take SQLite's write lock when they begin. Begun deferred, a transaction that reads and then
 * writes fails at once with "database is locked" when another process committed after its read (the busy
 * timeout does not apply to that case): two CLI commands migrating a new data folder together did. Taken at
 * the start, the lock is waited for like any other.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly inTransaction: () => boolean,
  ) {
    super(settings);
  }

  override createDriver(): Driver {
    const inTransaction = this.inTransaction;
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }

      // SQLite rolls a transaction back itself on some errors (a full disk, an I/O error): a ROLLBACK then
      // fails with "no transaction is active", and that error would replace the one that says what happened.
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (!inTransaction()) return;
        await super.rollbackTransaction(connection);
      }
    })(this.settings);
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely asks better-sqlite3 to prepare every query anew, and preparing costs more than running a simple
 * query; on the one thread that serves every request that is most of an authenticated GET. Statements are
 * kept by their SQL text (queries are parameterised, so the texts are few) in a small LRU.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      cache.delete(text);
      // A statement still being iterated (a streamed query) cannot run twice at once: use a fresh one.
      const statement = cached && !cached.busy ? cached : sqlite.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/**
 * What compiledOnce knows of a SQLite store, by its Kysely adapter (one per Kysely instance, shared with its
 * transactions). SQLite's data_version moves whenever another connection commits; asked of a second, read-only
 * connection it moves with every commit by anyone (this process, the CLI, another instance on the same file);
 * asked of the writing connection itself, only with other processes' commits.
 */
interface SqliteConnection {
  /** A transaction holds the connection. */
  busy(): boolean;
  prepare(text: string): SQLite.Statement;
  /** A number, read after the call (see sharedReading), that differs from every earlier one once anyone has committed. */
  anyCommits(): Promise<number>;
  /** The same for commits by other processes only; null while a transaction holds the connection. */
  otherCommits(): Promise<number | null>;
}

/**
 * A reading taken after the call and shared by every call made before it is taken: the first call of a turn of
 * the event loop asks for it in that turn's check phase (setImmediate), which comes after the poll phase has read
 * every request that arrived. So all the requests read in one poll phase share one reading of data_version
 * (two locking system calls, the larger part of an authenticated request's own cost), and each reading still
 * comes after its callers: a commit that landed before a request arrived is in the reading its check uses.
 */
function sharedReading<T>(read: () => T): () => Promise<T> {
  let next: Promise<T> | null = null;
  return () =>
    (next ??= new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        // Calls from here on wait for a reading of their own.
        next = null;
        try {
          resolve(read());
        } catch (err) {
          reject(err as Error);
        }
      });
    }));
}

/**
 * compiledOnce runs its statements on the connection directly: Kysely's driver hands the one connection from
 * query to query through a lock and several promise hops per statement; better-sqlite3 itself answers at once.
 */
const sqliteConnections = new WeakMap<object, SqliteConnection>();

/**
 * This process's writes to one table, for reads of it that may be reused while nobody changed it (compiledOnce's
 * `reuseUntilWritten`). Every write to the table in this process must run through `write`, which counts before
 * and after it: a read that overlapped a write is never reused once the write is done.
 */
export class TableWrites {
  private count = 0;

  get version(): number {
    return this.count;
  }

  async write<T>(statement: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await statement();
    } finally {
      this.count += 1;
    }
  }
}

/** Answers kept per query while the database is unchanged; past this many the memo starts again. */
const MEMO_LIMIT = 1_000;

export interface CompiledOnceOptions {
  /**
   * On SQLite, answer again from memory while nothing at all has been committed since the answer was read
   * (see SqliteConnection). The answer is then exactly what the query would return, so a revocation, from this
   * process or any other, is seen by the very next call. Callers must not change the rows they get.
   * On PostgreSQL every call asks the store.
   */
  reuseWhileUnchanged?: boolean;
  /**
   * For a table this process writes only through `TableWrites.write`: on SQLite, answer again from memory while
   * no other process committed anything and this one did not write the table, even while other tables are
   * written. Settings read at every password check stay in memory through a stream of sign-ins.
   */
  reuseUntilWritten?: TableWrites;
}

/** Names a parameter of a compiledOnce query: `(db, p: Parameter<'id' | 'now'>) => … .where('id', '=', p('id'))`. */
export type Parameter<N extends string> = (name: N) => any;

/** Stands in for a named parameter while a query is built; compiledOnce finds it in the compiled parameters. */
const PARAMETER_MARK = '\u0000hearth-parameter:';

/**
 * A query built and compiled once per dialect, then run with new parameters. On the paths every request or
 * sign-in takes, building and compiling a query through Kysely costs more than the store takes to answer it.
 * `build` names each parameter with `p('name')`; `run` gives them by name. A name used in the query but not given
 * (or given but not used) is an error at the first run, so a mistake shows in the first test that takes the path.
 */
export function compiledOnce<R, N extends string = never>(
  build: (db: Db, p: Parameter<N>) => Compilable<R>,
  options: CompiledOnceOptions = {},
): (db: Db, parameters: Record<N, unknown>) => Promise<R[]> {
  type P = Record<N, unknown>;
  // Kysely's adapter is one per Kysely instance and shared with its transactions: compile once for all of them.
  const compiled = new WeakMap<
    object,
    { query: CompiledQuery<R>; slots: (string | null)[]; statement?: SQLite.Statement }
  >();
  const memos = new WeakMap<Db, { version: string; answers: Map<string, R[]> }>();
  const compile = (db: Db, parameters: P) => {
    const query = build(db, (name: N) => `${PARAMETER_MARK}${name}`).compile();
    const slots = query.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(PARAMETER_MARK) ? value.slice(PARAMETER_MARK.length) : null,
    );
    const named = new Set(slots.filter((name): name is string => name !== null));
    const given = Object.keys(parameters);
    const missing = [...named].filter((name) => !given.includes(name));
    const unused = given.filter((name) => !named.has(name));
    if (missing.length > 0 || unused.length > 0) {
      throw new Error(`compiledOnce: parameters missing (${missing.join(', ')}) or unused (${unused.join(', ')})`);
    }
    return { query, slots };
  };
  const execute = async (db: Db, parameters: P): Promise<R[]> => {
    const key = db.getExecutor().adapter;
    let entry = compiled.get(key);
    if (!entry) {
      entry = compile(db, parameters);
      compiled.set(key, entry);
    }
    const { query, slots } = entry;
    const values = slots.map((name, i) => (name === null ? query.parameters[i] : parameters[name as N]));
    // SQLite: straight to the connection when the statement may run now: inside its own transaction, or outside
    // any. While another caller's transaction is open, Kysely's lock makes this one wait for the commit.
    const direct = sqliteConnections.get(key);
    if (direct && (db.isTransaction || !direct.busy())) {
      entry.statement ??= direct.prepare(query.sql);
      if (entry.statement.reader) return entry.statement.all(values) as R[];
      entry.statement.run(values);
      return [];
    }
    return (await db.executeQuery<R>({ ...query, parameters: values })).rows;
  };
  /**
   * What the answers are valid for, read after the call and before the query: a commit landing while the query
   * runs makes the next call ask. Null while a transaction holds the connection: ask the store.
   */
  const versionOf = async (connection: SqliteConnection): Promise<string | null> => {
    if (options.reuseUntilWritten) {
      const others = await connection.otherCommits();
      // This process's writes are counted at the same moment or later: one that ends after the reading shows.
      return others === null ? null : `${others}:${options.reuseUntilWritten.version}`;
    }
    return String(await connection.anyCommits());
  };
  const reuses = options.reuseUntilWritten !== undefined || options.reuseWhileUnchanged === true;
  return async (db, parameters) => {
    // PostgreSQL (no SQLite connection) and a transaction (which sees its own writes) always ask.
    const connection = reuses && !db.isTransaction ? sqliteConnections.get(db.getExecutor().adapter) : undefined;
    const version = connection ? await versionOf(connection) : null;
    if (version === null) return execute(db, parameters);
    let memo = memos.get(db);
    if (!memo || memo.version !== version) {
      memo = { version, answers: new Map() };
      memos.set(db, memo);
    }
    const key = JSON.stringify(parameters);
    const known = memo.answers.get(key);
    if (known) return known;
    const rows = await execute(db, parameters);
    if (memo.answers.size >= MEMO_LIMIT) memo.answers.clear();
    memo.answers.set(key, rows);
    return rows;
  };
}

/** An INSERT of one whole row of `table`, compiled once: every column is named, so a missing one is an error. */
export function compiledInsert<T extends keyof Database & string>(
  table: T,
  columns: readonly (keyof Database[T] & string)[],
) {
  const insert = compiledOnce((db, p: Parameter<string>) =>
    db.insertInto(table).values(Object.fromEntries(columns.map((column) => [column, p(column)])) as never),
  );
  return async (db: Db, row: Database[T]): Promise<void> => {
    await insert(db, Object.fromEntries(columns.map((column) => [column, row[column]])));
  };
}

/**
 * Kysely's PostgreSQL introspector reads every schema of the database and looks each one up by name, so a
 * schema dropped at that moment by someone else (another deployment, a test run) fails our migration with
 * "schema … does not exist". The migrator only asks which tables exist: this answers from the schemas on
 * our search path, by oid, and nothing else.
 */
class SchemaScopedPostgresDialect extends PostgresDialect {
  /**
   * A ROLLBACK on a connection that was just lost (the server restarting, a terminated backend) fails too; its
   * error must not replace the one that says what happened. The pool drops a client that can no longer query.
   */
  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      try {
        await rollback(connection);
      } catch {
        // The transaction is gone with its connection.
      }
    };
    return driver;
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    const getTables = async (): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ name: string; schema: string; kind: string }>`
        select c.relname as name, n.nspname as schema, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v') and n.nspname = any (current_schemas(false))`.execute(db);
      return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
    };
    return {
      async getSchemas() {
        const { rows } = await sql<{ name: string }>`select unnest(current_schemas(false)) as name`.execute(db);
        return rows;
      },
      getTables,
      async getMetadata() {
        return { tables: await getTables() };
      },
    };
  }
}

export async function migrateToLatest(store: Store, schema: string | null): Promise<void> {
  if (store.dialect === 'postgres' && schema) {
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(store.db);
    } catch (err) {
      // "if not exists" is not atomic: another instance starting at the same moment created it first.
      if ((err as { code?: string }).code !== '23505') throw err;
    }
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'hearth_migrations',
    migrationLockTableName: 'hearth_migrations_lock',
    // Capabilities land in parallel branches; a database made in between must still take the rest.
    allowUnorderedMigrations: true,
    ...(store.dialect === 'postgres' && schema ? { migrationTableSchema: schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // SQLite has no migration lock across processes: two first starts on one file (the CLI twice, or the CLI and
  // the server) race, and the loser's transaction rolls back. Once the winner has committed, the loser finds
  // nothing left to do.
  for (let attempt = 0; error && store.dialect === 'sqlite' && attempt < 5; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  }
}
