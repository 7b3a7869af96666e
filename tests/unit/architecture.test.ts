// The intended direction of imports in src/ (docs/architecture.md): a room may import only rooms of lower
// rank, never one of its own rank or above, and no files import each other in a circle.
import { join } from 'node:path';
import { fileCycles, importEdges, roomOf, type ImportEdge } from '../helpers/imports';

const RANK: Record<string, number> = {
  errors: 0,
  util: 1,
  special: 1,
  tensor: 1,
  eval: 2,
  kernels: 2,
  data: 2,
  ebp: 3,
  ste: 3,
  xnor: 4,
  deterministic: 5,
  model: 5,
  train: 6,
  node: 7,
  compare: 8,
  index: 9, // src/index.ts, the browser-safe main entry
  cli: 10,
};

const SRC = join(__dirname, '..', '..', 'src');
const edges = importEdges(SRC);
const show = (e: ImportEdge) => `src/${e.from}:${e.line} → src/${e.to}`;

describe('architecture: imports point one way', () => {
  test('the graph is read (sanity: the CLI reaches the EBP core through its rooms)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from.startsWith('cli/'))).toBe(true);
  });

  test('every room has a rank', () => {
    const rooms = new Set(edges.flatMap((e) => [roomOf(e.from), roomOf(e.to)]));
    expect([...rooms].filter((r) => !(r in RANK))).toEqual([]);
  });

  test('no import points to a room of the same or a higher rank', () => {
    const bad = edges.filter((e) => {
      const a = roomOf(e.from);
      const b = roomOf(e.to);
      return a !== b && RANK[b] >= RANK[a];
    });
    expect(bad.map(show)).toEqual([]);
  });

  test('no circles of files', () => {
    expect(fileCycles(edges)).toEqual([]);
  });

  test('the browser-safe main entry reaches no Node-only room', () => {
    const seen = new Set<string>();
    const todo = ['index.ts'];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const e of edges) if (e.from === f) todo.push(e.to);
    }
    expect([...seen].filter((f) => ['node', 'compare', 'cli'].includes(roomOf(f)))).toEqual([]);
  });
});

describe('architecture helpers', () => {
  test('fileCycles finds a circle and ignores a chain', () => {
    const e = (from: string, to: string): ImportEdge => ({ from, to, line: 1 });
    expect(fileCycles([e('a.ts', 'b.ts'), e('b.ts', 'c.ts')])).toEqual([]);
    expect(fileCycles([e('a.ts', 'b.ts'), e('b.ts', 'c.ts'), e('c.ts', 'a.ts'), e('c.ts', 'd.ts')])).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
