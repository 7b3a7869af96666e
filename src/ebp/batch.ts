/**
 * Getting a batch into a workspace: the checks of the public entry points (shapes, finite inputs, ±1
 * targets) and the choice of workspace (the store's own WebAssembly one when it fits, else a JS-heap one).
 */
import { NumericError, ShapeError } from '../errors';
import { asMatrix, assertFiniteRows, rowMajor, type Matrix } from '../tensor/matrix';
import { invalid } from '../util/validate';
import type { PosteriorStore } from './posterior';
import { Workspace, workspaceCapacity } from './workspace';

const jsCache = new WeakMap<PosteriorStore, Workspace>();

/**
 * A workspace for `store` with room for `batch` rows: the store's own WebAssembly workspace when it
 * has one that is large enough, otherwise a JS-heap workspace running the JS kernels.
 */
export function workspaceFor(store: PosteriorStore, batch: number): Workspace {
  const own = store.heapWorkspace;
  if (own !== null && batch <= own.capacity) return own;
  let ws = jsCache.get(store);
  if (ws === undefined || !ws.fits(store.sizes, batch)) {
    ws = new Workspace(store.sizes, workspaceCapacity(store.sizes, Math.max(batch, ws?.capacity ?? 0)));
    jsCache.set(store, ws);
  }
  return ws;
}

/** Rows per chunk when a large X is pushed through a workspace. */
export function chunkRows(store: PosteriorStore): number {
  return store.heapWorkspace?.capacity ?? workspaceCapacity(store.sizes);
}

/** Validate the shape of X against the store; returns the batch size. */
export function loadBatch(store: PosteriorStore, X: Matrix): number {
  if (X.shape.length !== 2 || X.shape[1] !== store.sizes[0]) {
    throw new ShapeError(
      `input has ${X.shape[1]} columns but the network's first layer expects ${store.sizes[0]} (X.shape=[${X.shape.join(', ')}]).`,
      X.shape,
      [X.shape[0], store.sizes[0]],
    );
  }
  return X.shape[0];
}

/**
 * Push X through a workspace in chunks: `fn(ws, start, rows)` is called with ws.x holding rows
 * start..start+rows-1. Non-finite inputs are rejected first (NumericError with the row and column).
 */
export function forEachChunk(store: PosteriorStore, X: Matrix, fn: (ws: Workspace, start: number, rows: number) => void): void {
  const B = loadBatch(store, X);
  const K0 = store.sizes[0];
  const { data, offset } = rowMajor(X);
  assertFiniteRows(data, offset, B, K0, 'forward pass');
  const chunk = chunkRows(store);
  const ws = workspaceFor(store, Math.min(B, chunk));
  for (let start = 0; start < B; start += chunk) {
    const nb = Math.min(chunk, B - start);
    ws.x.set(data.subarray(offset + start * K0, offset + (start + nb) * K0));
    fn(ws, start, nb);
  }
}

/** Validate a training batch (X finite, Y exactly ±1, matching shapes) and copy it into ws.x and ws.y. */
export function loadStep(store: PosteriorStore, X: Matrix, Y: Matrix): { ws: Workspace; B: number } {
  X = asMatrix(X);
  Y = asMatrix(Y, 'Y');
  const B = loadBatch(store, X);
  const K0 = store.sizes[0];
  const KL = store.sizes[store.sizes.length - 1];
  if (Y.shape.length !== 2 || Y.shape[0] !== B || Y.shape[1] !== KL) {
    throw new ShapeError(`ebpStep: targets have shape [${Y.shape.join(', ')}], expected [${B}, ${KL}].`, Y.shape, [B, KL]);
  }
  const ws = workspaceFor(store, B);
  const x = rowMajor(X);
  for (let i = 0; i < B * K0; i++) {
    const v = x.data[x.offset + i];
    if (!Number.isFinite(v)) {
      throw new NumericError(`ebpStep: input row ${Math.floor(i / K0)}, column ${i % K0} is ${v}; inputs must be finite.`);
    }
    ws.x[i] = v;
  }
  const y = rowMajor(Y);
  for (let i = 0; i < B * KL; i++) {
    const v = y.data[y.offset + i];
    if (v !== 1 && v !== -1) throw invalid('Y', `-1 or +1 in every entry (row ${Math.floor(i / KL)}, output ${i % KL})`, v);
    ws.y[i] = v;
  }
  return { ws, B };
}
