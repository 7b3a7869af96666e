import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** The machine a benchmark ran on, recorded beside every number. */
export function machine(): Record<string, unknown> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let mhz: number | undefined;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? cpu;
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(info);
    if (m) mhz = Number(m[1]);
  } catch {
    // not Linux: os.cpus() is enough
  }
  return {
    cpu,
    cpuMHz: mhz,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}
