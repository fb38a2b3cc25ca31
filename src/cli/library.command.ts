// `hearth library`: list and add libraries, and scan one with a progress bar. A scan started here runs
// in this process; one already running on a server is followed until it ends.
import { parseArgs } from 'node:util';
import type { Deps } from '../deps.ts';
import { toJobView, type JobView } from '../jobs/runner.ts';
import {
  createLibrary,
  findLibraryByIdOrName,
  LIBRARY_KINDS,
  listLibraries,
  removeLibrary,
} from '../media/libraries.ts';
import type { LibraryKind } from '../media/naming.ts';
import { requestScan, type ScanResult } from '../media/scanner.ts';
import { findJob } from '../store/jobs.repository.ts';
import { CliError, progressBar } from './io.ts';
import type { CliCommand } from './command.ts';

export const libraryHelp = `Usage:
  hearth library list
  hearth library create --name NAME --kind movies|shows|music|videos --path /abs/folder [--path /another]
  hearth library scan <id|name> [--names-only]
    Scans with a progress bar; --names-only reads names and sizes but opens no file.
  hearth library remove <id|name>
    Forgets the library (its files are never touched).`;

const cliAdmin = { userId: 'hearth-cli', role: 'owner' as const };
const POLL_MS = 250;

export async function libraryCommand(deps: Deps, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const libraries = await listLibraries(deps, cliAdmin);
    if (libraries.length === 0) process.stdout.write('No libraries yet. Add one with: hearth library create\n');
    for (const library of libraries) {
      process.stdout.write(`${library.id}  ${library.name}  (${library.kind})  ${(library.paths ?? []).join(', ')}\n`);
    }
    return 0;
  }
  if (sub === 'create') {
    const { values } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, kind: { type: 'string' }, path: { type: 'string', multiple: true } },
      strict: true,
    });
    if (!values.name || !values.kind || !values.path?.length)
      throw new CliError('--name, --kind and at least one --path are required\n' + libraryHelp);
    if (!(LIBRARY_KINDS as readonly string[]).includes(values.kind))
      throw new CliError(`--kind must be one of ${LIBRARY_KINDS.join(', ')}`);
    const library = await createLibrary(
      deps,
      { name: values.name, kind: values.kind as LibraryKind, paths: values.path },
      deps.clock(),
    );
    process.stdout.write(`Created library ${library.name} (id ${library.id})\n`);
    return 0;
  }
  if (sub === 'scan') {
    // Ids may start with "-", so the library is whatever is not the one known flag.
    const namesOnly = rest.includes('--names-only');
    const target = rest.find((arg) => arg !== '--names-only');
    if (target === undefined) throw new CliError('name the library: hearth library scan <id|name>');
    const library = await findLibraryByIdOrName(deps, target);
    if (!library) throw new CliError(`no library "${target}"`);
    const queued = await requestScan(deps, library.id, { probe: !namesOnly, createdBy: null }, deps.clock());
    if (!queued) throw new CliError(`no library "${target}"`);
    if (!queued.created)
      process.stderr.write(`A scan of ${library.name} is already queued or running; following it.\n`);
    const view = await followScan(deps, library.name, queued.jobId);
    return reportScan(library.name, view);
  }
  if (sub === 'remove') {
    const library = rest[0] ? await findLibraryByIdOrName(deps, rest[0]) : undefined;
    if (!library)
      throw new CliError(rest[0] ? `no library "${rest[0]}"` : 'name the library: hearth library remove <id|name>');
    await removeLibrary(deps, library.id);
    process.stdout.write(`Removed library ${library.name}; no file was touched.\n`);
    return 0;
  }
  throw new CliError(libraryHelp);
}

/** Runs the job here when nobody else holds it, and draws its progress until it ends. */
async function followScan(deps: Deps, name: string, jobId: string): Promise<JobView> {
  const bar = progressBar(`Scanning ${name}`);
  let finished = false;
  const runHere = () => deps.jobs.runOne(deps, jobId).finally(() => (finished = true));
  let running = runHere();
  for (;;) {
    const row = await findJob(deps.db, jobId);
    if (!row) throw new CliError('the scan job disappeared');
    const view = toJobView(row);
    const p = (view.progress ?? {}) as Record<string, number | string>;
    if (p.phase === 'probe') bar.update(Number(p.probed ?? 0), Number(p.to_probe ?? 0), 'reading files');
    else if (p.phase !== undefined) bar.update(Number(p.walked ?? 0), Number(p.walked ?? 0), String(p.phase));
    if (view.state === 'done' || view.state === 'failed' || view.state === 'cancelled') {
      await running;
      bar.done();
      return view;
    }
    // A retry waits for its time; nobody else may be running jobs, so take it here when it is due. A scan left
    // running by a process that crashed is taken over as soon as its lease lapses (at once when that process
    // ran on this host and is gone), as the breach command does.
    if (finished && (view.state === 'queued' || view.state === 'running')) {
      finished = false;
      running = runHere();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function reportScan(name: string, view: JobView): number {
  if (view.state !== 'done') {
    process.stderr.write(`The scan of ${name} ${view.state}${view.error ? `: ${view.error}` : ''}\n`);
    return 1;
  }
  const r = (view.result ?? {}) as unknown as ScanResult;
  process.stdout.write(
    `Scanned ${name}: ${r.added} added, ${r.updated} changed, ${r.moved} moved, ${r.removed} removed, ${r.unchanged} unchanged, ${r.probed} read, ${r.failed} skipped\n`,
  );
  for (const skipped of r.skipped ?? []) process.stdout.write(`  skipped ${skipped.path}: ${skipped.reason}\n`);
  return 0;
}

export const libraryCommands: CliCommand[] = [
  {
    name: 'library',
    summary: 'list, add, scan and remove media libraries',
    help: libraryHelp,
    needsStore: true,
    run: (args, deps) => libraryCommand(deps!, args),
  },
];
