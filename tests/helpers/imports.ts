// The import graph of src/, read from the source text (no compiler needed): every relative
// `import … from`, `export … from`, `import()` and `require()` resolved to a file under src/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to src/ with forward slashes, e.g. 'cli/run.ts'. */
  from: string;
  /** Imported file, same form. */
  to: string;
  /** 1-based line of the import. */
  line: number;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

export function sourceFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p, root));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p).split('\\').join('/'));
  }
  return out;
}

function resolveSpecifier(srcRoot: string, fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null; // packages and node: built-ins
  const base = resolve(srcRoot, dirname(fromFile), spec);
  for (const cand of [`${base}.ts`, join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) {
    if (existsSync(cand) && statSync(cand).isFile()) return relative(srcRoot, cand).split('\\').join('/');
  }
  throw new Error(`${fromFile}: cannot resolve import '${spec}'`);
}

/** Strip comments so that examples in doc comments are not read as imports. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
}

export function importEdges(srcRoot: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const text = stripComments(readFileSync(join(srcRoot, file), 'utf8'));
    for (const m of text.matchAll(SPECIFIER)) {
      const to = resolveSpecifier(srcRoot, file, m[1]);
      if (to === null) continue;
      const line = text.slice(0, m.index).split('\n').length;
      edges.push({ from: file, to, line });
    }
  }
  return edges;
}

/** The room of a file: its top-level folder under src/, or the file itself ('errors.ts', 'index.ts'). */
export function roomOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file.replace(/\.ts$/, '') : file.slice(0, i);
}

/** Every cycle of files (each reported once, as the list of files along it). */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, []);
    next.get(e.from)!.push(e.to);
  }
  // Tarjan's strongly connected components; a component of more than one file (or a self-import) is a circle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (next.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}
