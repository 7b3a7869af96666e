// Small heaps share arenas (one WebAssembly.Memory per ~16 MiB of small heaps, not per heap), because V8
// reserves several GiB of address space per memory: one memory per ensemble member stalled ~13,000 members.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compileModule, WasmHeap } from '../../../src/kernels/wasm-heap';
import { XNOR_WASM_BASE64 } from '../../../src/kernels/xnor-wasm.generated';

const mod = compileModule('xnor', XNOR_WASM_BASE64);

test('small heaps are carved from one shared memory without overlapping; a large heap gets its own', () => {
  if (mod === null) throw new Error('WebAssembly is not available in this Node');
  const a = WasmHeap.create(mod, 4096)!;
  const b = WasmHeap.create(mod, 4096)!;
  expect(a.memory).toBe(b.memory);
  const va = a.f64(512).fill(1);
  const vb = b.f64(512).fill(2);
  expect(vb.byteOffset).toBeGreaterThanOrEqual(va.byteOffset + va.byteLength);
  expect(va.every((v) => v === 1)).toBe(true);
  expect(() => a.f64(1)).toThrow(RangeError); // a heap cannot spill into its neighbour
  const big = WasmHeap.create(mod, 8 << 20)!;
  expect(big.memory).not.toBe(a.memory);
});

// In a child process on the built library, as a user runs it (jest's module sandbox makes this part slow).
test('an ensemble of 15,000 WebAssembly members builds and predicts (the old one-memory-per-member stalled here)', () => {
  const dist = path.join(__dirname, '..', '..', '..', 'dist', 'index.js');
  if (!fs.existsSync(dist)) throw new Error('dist/ is missing: run npm run build (npm test does)');
  const script = `
    const { PosteriorStore, XnorNetwork, matrix } = require(${JSON.stringify(dist)});
    const store = PosteriorStore.init([30, 32, 2], { seed: 1 });
    const ens = XnorNetwork.sampleEnsemble(store, { members: 15000, seed: 1 });
    const X = matrix([Array.from({ length: 30 }, (_, j) => Math.sin(j)), Array.from({ length: 30 }, (_, j) => Math.cos(j))]);
    const s = Array.from(ens.scores(X).data);
    const twins = [ens.members[0], ens.members[14999]].every((m) =>
      JSON.stringify(Array.from(m.scores(X).data)) === JSON.stringify(Array.from(m.withBackend('js').scores(X).data)));
    console.log(JSON.stringify({ backend: ens.backend, s, twins }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 50000 }));
  expect(out.backend).toBe('wasm');
  for (const v of out.s) expect(Number.isInteger(((v + 1) / 2) * 15000) && v >= -1 && v <= 1).toBe(true);
  // Members in the first and the last arena compute what their TypeScript twins compute.
  expect(out.twins).toBe(true);
}, 60000);
