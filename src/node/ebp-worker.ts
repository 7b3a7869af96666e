/**
 * Worker-thread entry of threaded EBP training (src/ebp/team.ts): instantiates the shared kernels on the
 * trainer's shared memory and runs its part of every task until told to stop.
 */
import { workerData } from 'node:worker_threads';
import { workerLoop, type EbpWorkerData } from '../ebp/team';

if (workerData) workerLoop(workerData as EbpWorkerData);
