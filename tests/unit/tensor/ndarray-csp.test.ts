// The CSP-safe ndarray (what bundles get through package.json's `browser` field) behaves as npm `ndarray`
// does: random view chains (hi, lo, step, transpose, pick) over random shapes give the same shape, stride,
// offset, order, size, dtype, elements and writes, and it never builds code at run time.
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import * as ts from 'typescript';
import ndarray from 'ndarray';
import cspNdarray from '../../../src/tensor/ndarray-csp';

type View = ndarray.NdArray<ndarray.Data<number>>;
type Op = { name: 'hi' | 'lo' | 'step' | 'transpose' | 'pick'; args: unknown[] };

const arg = fc.oneof(fc.integer({ min: -4, max: 5 }), fc.constant(undefined), fc.constant(null), fc.constant(-1));
const op: fc.Arbitrary<Op> = fc.record({
  name: fc.constantFrom<Op['name']>('hi', 'lo', 'step', 'transpose', 'pick'),
  args: fc.array(arg, { maxLength: 4 }),
});

/** Every element of a view, in row-major order of its own indices. */
function elements(v: View): unknown[] {
  const out: unknown[] = [];
  const d = v.dimension;
  if (d <= 0) return [v.get()];
  const idx = new Array<number>(d).fill(0);
  if (v.shape.some((n) => !(n > 0))) return out;
  for (;;) {
    out.push(v.get(...idx), v.index(...idx));
    let k = d - 1;
    while (k >= 0 && ++idx[k] >= v.shape[k]) idx[k--] = 0;
    if (k < 0) return out;
  }
}

function describeView(v: View | null): unknown {
  if (v === null) return null;
  return { shape: v.shape, stride: v.stride, offset: v.offset, size: v.size, order: v.order, dtype: v.dtype, dimension: v.dimension, elements: elements(v) };
}

/** Apply `ops` in turn while the view still has a dimension (transpose only takes in-range axes, as callers do). */
function chain(make: typeof ndarray, data: ndarray.Data<number>, shape: number[], ops: Op[]): unknown[] {
  let v: View | null = make(data, shape);
  const seen: unknown[] = [describeView(v)];
  for (const o of ops) {
    if (v === null || v.dimension <= 0) break;
    const d = v.dimension;
    const args = o.name === 'transpose' ? o.args.slice(0, d).map((a) => (typeof a === 'number' ? ((a % d) + d) % d : a)) : o.args;
    if (o.name === 'transpose' && new Set(args.filter((a) => a !== undefined)).size !== args.filter((a) => a !== undefined).length) continue;
    if (o.name === 'step' && args.some((a) => a === 0)) continue;
    v = (v[o.name] as (...a: unknown[]) => View | null)(...args);
    seen.push(describeView(v));
  }
  return seen;
}

describe('ndarray-csp', () => {
  test('random view chains agree with npm ndarray', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), fc.array(op, { maxLength: 5 }), (shape, ops) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float64Array.from({ length: n }, (_, i) => i * 1.5 - 3);
        expect(chain(cspNdarray, data, shape, ops)).toEqual(chain(ndarray, data, shape, ops));
      }),
      { numRuns: 400, seed: 14 },
    );
  });

  test('constructor defaults, strides, offsets, dtypes and writes agree', () => {
    const cases: [unknown, number[]?, number[]?, number?][] = [
      [new Float64Array(12), [3, 4]],
      [new Float64Array(12), [3, 4], [-4, 1]],
      [new Float64Array(12), [4, 3], [1, 4], 0],
      [new Int32Array(6), [2, 3]],
      [new Uint8Array(6)],
      [new Float32Array(8), [2, 2, 2]],
      [[1, 2, 3, 4], [2, 2]],
      [7],
      [new Float64Array(30), [2, 3, 5], [15, 5, 1], 0],
      [new Float64Array(120), [2, 3, 4, 5]],
      [new Float64Array(120), [2, 3, 4, 5], [1, 2, 6, 24]],
    ];
    for (const [data, shape, stride, offset] of cases) {
      const a = ndarray(data as ndarray.Data<number>, shape, stride, offset);
      const b = cspNdarray(data as ndarray.Data<number>, shape, stride, offset);
      expect(describeView(b)).toEqual(describeView(a));
    }
    const a = ndarray(new Float64Array(6), [2, 3]);
    const b = cspNdarray(new Float64Array(6), [2, 3]);
    expect(b.set(1, 2, 5)).toBe(a.set(1, 2, 5));
    b.transpose(1, 0).set(0, 1, 9);
    a.transpose(1, 0).set(0, 1, 9);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // A 0-d array (pick of every axis) reads and writes its one element; its pick is the trivial array.
    const s = b.pick(1, 2) as unknown as { get(): number; set(v: number): number; pick(): { dimension: number; pick(): null }; dimension: number };
    expect(s.dimension).toBe(0);
    expect(s.get()).toBe(5);
    s.set(4);
    expect(b.get(1, 2)).toBe(4);
    expect(s.pick().dimension).toBe(-1);
    expect(s.pick().pick()).toBeNull();
    const empty = (cspNdarray as unknown as () => unknown)() as { dimension: number; size: number; index(): number };
    expect([empty.dimension, empty.size, empty.index()]).toEqual([-1, 0, -1]);
  });

  test('builds no code at run time (a realm that refuses string compilation, as a strict CSP does)', () => {
    const ctx = vm.createContext({}, { codeGeneration: { strings: false, wasm: false } });
    // Each module's CommonJS source evaluated inside the realm, so its `Function` is the realm's own.
    const load = (file: string, src: string): unknown => {
      const module = { exports: {} as Record<string, unknown> };
      const req = (spec: string): unknown => load(require.resolve(spec, { paths: [path.dirname(file)] }), fs.readFileSync(require.resolve(spec, { paths: [path.dirname(file)] }), 'utf8'));
      vm.runInContext(`(function (exports, require, module) {${src}\n})`, ctx)(module.exports, req, module);
      return module.exports;
    };
    const cspFile = path.join(__dirname, '..', '..', '..', 'src', 'tensor', 'ndarray-csp.ts');
    const cspSrc = ts.transpileModule(fs.readFileSync(cspFile, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    ctx.make = (load(cspFile, cspSrc) as { default: unknown }).default;
    const realFile = require.resolve('ndarray');
    ctx.real = load(realFile, fs.readFileSync(realFile, 'utf8'));
    const run = (expr: string): unknown => vm.runInContext(expr, ctx);
    expect(run('make(new Float64Array([1,2,3,4,5,6]), [2, 3]).transpose(1, 0).step(-1).get(0, 1)')).toBe(6);
    expect(run('make(new Float64Array(16), [2, 2, 2, 2]).pick(1, null, 0).shape.join()')).toBe('2,2');
    // The real module compiles a class per dimension on first use, which the realm refuses.
    expect(() => run('real(new Float64Array(16), [2, 2, 2, 2])')).toThrow(/Code generation from strings disallowed/);
  });
});
