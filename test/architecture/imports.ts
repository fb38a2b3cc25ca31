// A small import graph of a source tree, for the architecture test: every static, type-only, re-export
// and dynamic import between files of the tree, and the rules and circles found in it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface Edge {
  from: string;
  to: string;
  /** `import('…')`: loaded only when that code runs. */
  dynamic: boolean;
}

const SOURCE = /\.(ts|tsx|mts|mjs)$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The specifiers a file imports: `import … from`, `import type`, `export … from`, `import '…'` and `import('…')`. */
export function importSpecifiers(source: string): { spec: string; dynamic: boolean }[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: { spec: string; dynamic: boolean }[] = [];
  const statics = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
  ];
  for (const pattern of statics)
    for (const match of code.matchAll(pattern)) found.push({ spec: match[1]!, dynamic: false });
  for (const match of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: match[1]!, dynamic: true });
  return found;
}

/** Edges between files of `root` (paths relative to it, with `/`); imports of packages are left out. */
export function importGraph(root: string, dirs: string[]): Edge[] {
  const edges: Edge[] = [];
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  for (const dir of dirs) {
    const full = join(root, dir);
    let files: string[];
    try {
      files = walk(full);
    } catch {
      continue;
    }
    for (const file of files) {
      for (const { spec, dynamic } of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        edges.push({ from: rel(file), to: rel(resolve(dirname(file), spec)), dynamic });
      }
    }
  }
  return edges;
}

/** Every import circle (each once, as the files around it), type-only imports included. */
export function importCircles(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  // Tarjan's strongly connected components: a component of more than one file (or a file importing itself) is a circle.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!indexOf.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, indexOf.get(to)!));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || next.get(node)?.has(node)) circles.push(component.sort());
    }
  };
  for (const node of next.keys()) if (!indexOf.has(node)) visit(node);
  return circles;
}

export interface Rule {
  /** Files under these folders… */
  from: string[];
  /** …may not import files under these. */
  notTo: string[];
  why: string;
}

const under = (path: string, folders: string[]) =>
  folders.some((f) => path === f || path.startsWith(f.endsWith('/') ? f : `${f}/`));

/** The imports that break a rule, as "from → to (why)". */
export function ruleBreaks(edges: Edge[], rules: Rule[]): string[] {
  const out: string[] = [];
  for (const edge of edges) {
    for (const rule of rules) {
      if (under(edge.from, rule.from) && under(edge.to, rule.notTo))
        out.push(`${edge.from} → ${edge.to} (${rule.why})`);
    }
  }
  return out;
}

/** Every file `start` loads before any of its code runs: its static imports, and theirs. */
export function staticClosure(edges: Edge[], start: string): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const edge of edges) {
      if (edge.from === file && !edge.dynamic && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return seen;
}
