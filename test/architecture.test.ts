// The shape of the house, checked: which layer may import which, no import circles (type-only ones included), and
// the CLI's start never reaching the HTTP layer. The checker is first shown to catch deliberately wrong imports.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.ts';
import { importCircles, importGraph, ruleBreaks, staticClosure, type Rule } from './architecture/imports.ts';

/** Everything but the HTTP layer and the two places that wire it (server.ts, cli/serve.command.ts). */
const DOMAIN = [
  'src/accounts',
  'src/breach',
  'src/factors',
  'src/linking',
  'src/mail',
  'src/media',
  'src/jobs',
  'src/cluster',
];
const TOP_LEVEL = ['src/deps.ts', 'src/modules.ts', 'src/config.ts', 'src/crypto.ts', 'src/errors.ts', 'src/events.ts'];

const RULES: Rule[] = [
  { from: DOMAIN, notTo: ['src/http', 'src/server.ts'], why: 'the domain knows no HTTP' },
  { from: TOP_LEVEL, notTo: ['src/http', 'src/server.ts'], why: 'deps and the wiring place know no HTTP' },
  {
    from: ['src/store'],
    notTo: ['src/http', 'src/server.ts', ...DOMAIN],
    why: 'the store knows neither HTTP nor the domain',
  },
  { from: ['src/cli'], notTo: ['src/http'], why: 'the CLI never loads Fastify' },
  { from: ['web/src'], notTo: ['src/store'], why: 'the web app knows only the wire shapes, never the store' },
];

const SOURCES = ['src', 'web/src', 'bin'];

function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hearth-architecture-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('architecture', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('the checker catches wrong imports, type-only circles and a CLI that reaches HTTP (a small wrong tree)', () => {
    const root = fixture({
      'src/http/app.ts': "import Fastify from 'fastify';\nexport type App = ReturnType<typeof Fastify>;\n",
      'src/accounts/door.ts': "import type { App } from '../http/app.ts';\nexport const door = (app: App) => app;\n",
      'src/store/db.ts': "import { door } from '../accounts/door.ts';\nexport const db = door;\n",
      'src/deps.ts': "import type { Hook } from './jobs/runner.ts';\nexport interface Deps { hook: Hook }\n",
      'src/jobs/runner.ts': "import type { Deps } from '../deps.ts';\nexport type Hook = (deps: Deps) => void;\n",
      'src/cli/main.ts': "import { serve } from './serve.ts';\nexport const main = () => import('./later.ts');\n",
      'src/cli/serve.ts': "export { buildApp as serve } from '../server.ts';\n",
      'src/cli/later.ts': "import '../http/app.ts';\n",
      'src/server.ts':
        "// import nothing from './http/app.ts' in a comment is not an import\nexport * from './http/app.ts';\nexport const buildApp = 1;\n",
      'web/src/page.tsx':
        "import type { UsersTable } from '../../src/store/schema.ts';\nexport type Row = UsersTable;\n",
      'src/store/schema.ts': 'export interface UsersTable { id: string }\n',
    });
    roots.push(root);
    const edges = importGraph(root, SOURCES);
    expect(ruleBreaks(edges, RULES).sort()).toEqual([
      'src/accounts/door.ts → src/http/app.ts (the domain knows no HTTP)',
      'src/cli/later.ts → src/http/app.ts (the CLI never loads Fastify)',
      'src/store/db.ts → src/accounts/door.ts (the store knows neither HTTP nor the domain)',
      'web/src/page.tsx → src/store/schema.ts (the web app knows only the wire shapes, never the store)',
    ]);
    expect(importCircles(edges)).toEqual([['src/deps.ts', 'src/jobs/runner.ts']]);
    const cliStart = staticClosure(edges, 'src/cli/main.ts');
    expect([...cliStart].filter((f) => f.startsWith('src/http/'))).toEqual(['src/http/app.ts']);
    expect(cliStart.has('src/cli/later.ts')).toBe(false);
  });

  const edges = importGraph(REPO_ROOT, SOURCES);

  it('finds the imports of this tree', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'src/server.ts', to: 'src/http/app.ts', dynamic: false });
  });

  it('no layer imports one it must not: domain, store and CLI never import http/, the web app never the store', () => {
    expect(ruleBreaks(edges, RULES)).toEqual([]);
  });

  it('no import circles, type-only imports included', () => {
    expect(importCircles(edges)).toEqual([]);
  });

  it("the CLI's start loads nothing of the HTTP layer (only `serve` loads it, on demand)", () => {
    const start = staticClosure(edges, 'src/cli/main.ts');
    expect([...start].filter((f) => f.startsWith('src/http/') || f === 'src/server.ts')).toEqual([]);
    expect(start.has('src/modules.ts')).toBe(true);
  });

  it('every route file is registered in src/http/routes/index.ts, which the app registers', () => {
    const routeFiles = readdirSync(join(REPO_ROOT, 'src/http/routes')).filter((f) => f.endsWith('.routes.ts'));
    const registered = edges
      .filter((e) => e.from === 'src/http/routes/index.ts')
      .map((e) => e.to.slice('src/http/routes/'.length));
    expect(registered.filter((f) => f.endsWith('.routes.ts')).sort()).toEqual(routeFiles.sort());
    expect(edges).toContainEqual({ from: 'src/http/app.ts', to: 'src/http/routes/index.ts', dynamic: false });
  });
});
