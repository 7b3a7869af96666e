// Timing of one call, shared by the inference benchmarks: the numpy anchors' method (warm-up, then
// ≥ 7 timed runs and ≥ minTime seconds; median), measured in wall time and in process CPU time.

export interface Timing {
  medianS: number;
  minS: number;
  maxS: number;
  reps: number;
  /** Median of the same runs measured in process CPU time (insensitive to other processes). */
  cpuMedianS: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Warm-up 0.5 s, then ≥ 7 timed runs (2 for calls over 2 s) and ≥ 1.5 s; each run repeats fn enough
 * to last ≥ 2 ms so timer resolution does not count. `quick` shortens both (smoke runs).
 */
export function timeIt(fn: () => unknown, quick = false): Timing {
  const warm = quick ? 0.1 : 0.5;
  const minTime = quick ? 0.3 : 1.5;
  let sink = 0; // results feed a sink so the call cannot be optimised away
  let t0 = performance.now();
  sink += Number(fn() !== null);
  let one = (performance.now() - t0) / 1000;
  const w0 = performance.now();
  while ((performance.now() - w0) / 1000 < warm) {
    t0 = performance.now();
    sink += Number(fn() !== null);
    one = Math.min(one, (performance.now() - t0) / 1000);
  }
  const m = Math.max(1, Math.ceil(0.002 / Math.max(one, 1e-9)));
  const ts: number[] = [];
  const cs: number[] = [];
  const start = performance.now();
  while (ts.length < (one > 2 ? 2 : 7) || ((performance.now() - start) / 1000 < minTime && ts.length < 1000)) {
    const a = performance.now();
    const c = cpuNow();
    for (let i = 0; i < m; i++) sink += Number(fn() !== null);
    cs.push((cpuNow() - c) / m);
    ts.push((performance.now() - a) / 1000 / m);
  }
  if (sink < 0) console.log(sink);
  ts.sort((x, y) => x - y);
  cs.sort((x, y) => x - y);
  return { medianS: ts[ts.length >> 1], minS: ts[0], maxS: ts[ts.length - 1], reps: ts.length, cpuMedianS: cs[cs.length >> 1] };
}
