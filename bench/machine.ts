// The machine a benchmark ran on (CPU, clock, cores, memory, Node/V8, load average), recorded beside every number.
export { machineInfo as machine } from '../src/compare/machine';
