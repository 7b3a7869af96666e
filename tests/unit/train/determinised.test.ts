/** The bookkeeping of the determinised network in a training result (src/train/determinised.ts, src/train/kept.ts). */
import { PosteriorStore } from '../../../src/ebp/posterior';
import { XnorNetwork } from '../../../src/xnor/network';
import { withDeterminised, notDeterminisable } from '../../../src/train/determinised';
import { MODE_PREFERENCE, muchWorseMode, servedMode } from '../../../src/train/kept';
import type { TrainingRecord } from '../../../src/train/record';

const store = PosteriorStore.init([4, 6, 6, 3], { weights: 'binary', seed: 1 });
const network = XnorNetwork.fromPosterior(store);
const record = { layersFixed: 2, epoch: 1, choices: { kind: 'validation' as const }, validationError: 0.1, plainErrorD: 0.3 };

test('withDeterminised: the determinised error becomes mode deterministic, plain EBP-D moves to map, the best is chosen again', () => {
  const r = withDeterminised({ validationErrorD: 0.3, validationErrorP: 0.12, modes: { deterministic: 0.3, probabilistic: 0.12, ensemble: 0.15 }, bestMode: 'probabilistic' }, { network, record }, 0.1);
  expect(r.modes).toEqual({ deterministic: 0.1, map: 0.3, probabilistic: 0.12, ensemble: 0.15 });
  expect(r.bestMode).toBe('deterministic');
  expect(r.validationErrorD).toBe(0.3);
  expect(r.determinised).toEqual(record);
  // Without validation rows no modes are invented.
  expect(withDeterminised({ validationErrorD: null }, { network, record }, null)).toEqual({ validationErrorD: null, determinised: record });
  expect(MODE_PREFERENCE.slice(0, 2)).toEqual(['deterministic', 'map']);
});

test('muchWorseMode: more than 1.3x the best (and by two validation rows at least) names the best; otherwise null', () => {
  const model = (modes: Record<string, number>, rows = 1000) => ({ store, network, meta: { training: { result: { rows: 10, validationRows: rows, epochsDone: 1, modes } } } as unknown as TrainingRecord });
  const m = model({ deterministic: 0.1, map: 0.3, probabilistic: 0.12 });
  expect(muchWorseMode(m, 'map')).toEqual({ mode: 'map', error: 0.3, best: { mode: 'deterministic', error: 0.1 } });
  expect(muchWorseMode(m, 'probabilistic')).toBeNull(); // 1.2x
  expect(muchWorseMode(m, 'deterministic')).toBeNull();
  expect(muchWorseMode(m, 'ensemble')).toBeNull(); // not recorded
  expect(muchWorseMode(model({ deterministic: 0, map: 0.01 }, 100), 'map')).toBeNull(); // one row: noise
  expect(muchWorseMode(model({ deterministic: 0, map: 0.02 }, 100), 'map')?.best.mode).toBe('deterministic');
  expect(muchWorseMode({ store, network, meta: {} as TrainingRecord }, 'map')).toBeNull();
});

test('a packed ensemble without a posterior is served as an ensemble; Gaussian and ternary posteriors are not determinised', () => {
  const ens = XnorNetwork.sampleEnsemble(store, { members: 3, seed: 1 });
  expect(servedMode({ store: null, network: ens, meta: {} as TrainingRecord }).mode).toBe('ensemble');
  expect(servedMode({ store: null, network, meta: {} as TrainingRecord }).mode).toBe('deterministic');
  expect(notDeterminisable(store, 'ebp')).toBeNull();
  expect(notDeterminisable(PosteriorStore.init([4, 3], { weights: 'gaussian', seed: 1 }), 'ebp')).toMatch(/^Gaussian weights/);
  expect(notDeterminisable(null, 'ste')).toMatch(/STE/);
});
