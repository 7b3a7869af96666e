/**
 * Worker-thread entry of the packed-inference pool (./xnor-threads.ts): holds copies of the networks the
 * pool sent it and runs row ranges of a batch over shared memory. The protocol is ./xnor-threads.ts's.
 */
import { parentPort } from 'node:worker_threads';
import { XnorEnsemble, XnorNetwork } from '../xnor/network';
import type { ModelDescription, PoolReply, PoolRequest } from './xnor-threads';

const models = new Map<number, XnorNetwork | XnorEnsemble>();

function build(d: ModelDescription): XnorNetwork | XnorEnsemble {
  const nets = d.members.map((m) => XnorNetwork.fromLayers(m.layers, { input: m.input, backend: m.backend }));
  return d.ensemble ? new XnorEnsemble(nets) : nets[0];
}

function run(req: Extract<PoolRequest, { type: 'run' }>): void {
  const model = models.get(req.id);
  if (model === undefined) throw new Error(`xnor worker: model ${req.id} was never loaded.`);
  const rows = req.end - req.start;
  const x = new Float64Array(req.x, req.xAt + req.start * req.K0 * 8, rows * req.K0);
  const out = new Float64Array(req.out, req.start * req.KL * 8, rows * req.KL);
  if (model instanceof XnorEnsemble) model.scoresInto(x, 0, rows, out, req.start);
  else model.forwardInto(x, 0, rows, out, req.start);
}

const port = parentPort;
if (port !== null) {
  port.on('message', (req: PoolRequest) => {
    let reply: PoolReply = { type: 'done', job: -1 };
    try {
      if (req.type === 'load') {
        models.set(req.id, build(req.model));
        return;
      }
      if (req.type === 'drop') {
        models.delete(req.id);
        return;
      }
      run(req);
      reply = { type: 'done', job: req.job };
    } catch (e) {
      const err = e as Error;
      reply = { type: 'error', job: req.type === 'run' ? req.job : -1, name: err?.name ?? 'Error', message: err?.message ?? String(e) };
    }
    port.postMessage(reply);
  });
}
