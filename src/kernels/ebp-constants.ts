/**
 * Constants of the EBP kernel interface, shared by the TypeScript kernels (ebp-js.ts), the WebAssembly
 * binding (ebp.ts, same values as wasm/ebp_kernels.c) and their callers in src/ebp.
 */

/** Which moment refresh an update runs: none (Gaussian weights; other discrete levels: the caller), binary, ternary. */
export type Refresh = 0 | 1 | 2;
export const REFRESH_NONE = 0;
export const REFRESH_BINARY = 1;
export const REFRESH_TERNARY = 2;
