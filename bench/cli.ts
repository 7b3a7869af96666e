/** The command-line and clock helpers the thread benchmarks share (bench/threads.ts, bench/ebp-threads.ts). */

/** The value after `--name` on the command line, or undefined. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** CPU seconds (user + system) this process has used, all its threads included. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
