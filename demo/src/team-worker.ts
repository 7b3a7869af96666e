/** A worker of the EBP thread team the training worker starts (installWebWorkerThreads in ./worker.ts). */
import { serveEbpTeamWorker } from '../../dist/index.js';

serveEbpTeamWorker();
