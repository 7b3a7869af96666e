/**
 * Child-process entry of the comparison (started with child_process.fork by runComparison, ./child.ts): runs one
 * job in a fresh process so that its peak RSS is its own. The protocol over the IPC channel is ./child.ts's.
 */
import type { WorkerMessage, WorkerRequest } from './child';
import { loadBenchData } from './datasets';
import { runJob, steEpochSpeed } from './runs';

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(msg, () => resolve());
  });
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    if (req.type === 'speed') {
      await send({ type: 'result', result: steEpochSpeed(req.repeats, req.rows) });
    } else {
      const data = loadBenchData(req.spec);
      const pending: Promise<void>[] = [];
      const result = await runJob(data, req.job, { rssIsolated: true, onEpoch: (info) => pending.push(send({ type: 'epoch', info })) });
      await Promise.all(pending);
      await send({ type: 'result', result });
    }
  } catch (e) {
    const err = e as Error;
    await send({ type: 'error', name: err?.name ?? 'Error', message: err?.message ?? String(e) });
  }
  process.exit(0);
}

if (require.main === module) {
  process.once('message', (m) => void handle(m as WorkerRequest));
}
