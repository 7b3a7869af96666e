/**
 * Packed-network engines: WebAssembly (i64.popcnt) when available, else the pure TypeScript kernels.
 * Both compute the same integers and the same floating-point operations in the same order, so their
 * scores are bit-identical (tests/unit/xnor/kernels.test.ts).
 */
import { ArgumentError } from '../errors';
import { requireOneOf } from '../util/validate';
import { JsXnorEngine } from './xnor-js';
import { WasmXnorEngine } from './xnor-wasm';
import type { XnorEngine, XnorPlan } from './xnor-plan';

export type { XnorEngine, XnorPlan, PlanInput, PlanLayer } from './xnor-plan';

/** `'auto'`: WebAssembly when available, else JS; `'wasm'`: WebAssembly or an error; `'js'`: always JS. */
export type XnorBackend = 'auto' | 'wasm' | 'js';

const BACKENDS: readonly XnorBackend[] = ['auto', 'wasm', 'js'];

export function createXnorEngine(plan: XnorPlan, backend: XnorBackend = 'auto'): XnorEngine {
  requireOneOf(backend, 'backend', BACKENDS);
  if (backend !== 'js') {
    const engine = WasmXnorEngine.create(plan);
    if (engine !== null) return engine;
    if (backend === 'wasm') {
      throw new ArgumentError("backend 'wasm' was requested but WebAssembly is not available here (or EBP_BNN_WASM=0).");
    }
  }
  return new JsXnorEngine(plan);
}
