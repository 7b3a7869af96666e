import { readFileSync } from 'fs';
import * as os from 'os';

/** The machine a comparison ran on, recorded beside its numbers (load average included: the machine may be shared). */
export interface MachineInfo {
  cpu: string;
  cpuMHz?: number;
  cores: number;
  memGiB: number;
  node: string;
  v8: string;
  platform: string;
  loadAverage: number[];
  date: string;
}

export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  let mhz: number | undefined;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /model name\s*:\s*(.*)/.exec(info)?.[1] ?? cpu;
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(info);
    if (m) mhz = Number(m[1]);
  } catch {
    // not Linux
  }
  return {
    cpu,
    cpuMHz: mhz,
    cores: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}
