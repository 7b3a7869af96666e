/**
 * The demo page: loads the shipped packed model, classifies the first ten MNIST test digits (the test
 * contract: their classes in #predictions, then body[data-ready="true"]), classifies what is drawn on the pad
 * with the deterministic network and the posterior ensemble, and trains EBP in a worker.
 */
import { decodeModel, matrix, XnorEnsemble, XnorNetwork, type PackedModel } from '../../dist/index.js';
import { SIDE, agreeing, entropyBits, mnistFromInk } from './digit';
import type { FromWorker, TrainRequest } from './protocol';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

interface Loaded {
  det: XnorNetwork;
  ens: XnorEnsemble;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function asInput(pixels: ArrayLike<number>, rows: number) {
  return matrix(Float64Array.from(pixels as ArrayLike<number>, (v) => v / 255), rows, SIDE * SIDE);
}

/** Grey levels 0..255 onto a 28×28 canvas (white ink on black, as MNIST). */
function paintDigit(canvas: HTMLCanvasElement, pixels: ArrayLike<number>): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = pixels[i];
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function fact(term: string, value: string): void {
  const dl = $('model-facts');
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

const fmtBytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

async function loadModel(): Promise<Loaded> {
  const [detBytes, ensBytes] = await Promise.all([fetchBytes('model/mnist-deterministic.ebpb'), fetchBytes('model/mnist-ensemble.ebpb')]);
  const det = decodeModel(detBytes);
  const ens = decodeModel(ensBytes);
  if (!(det.network instanceof XnorNetwork)) throw new Error('mnist-deterministic.ebpb holds no single packed network');
  if (!(ens.network instanceof XnorEnsemble)) throw new Error('mnist-ensemble.ebpb holds no ensemble');
  const extra = (m: typeof det) => (m.meta.extra ?? {}) as Record<string, unknown>;
  fact('Network', String(extra(det).description ?? det.network.sizes.join('-')));
  fact('Deterministic network', `${fmtBytes(detBytes.length)} (.ebpb); MNIST test error ${pct(Number(extra(det).testError))}`);
  fact('Ensemble', `${ens.network.members.length} members, ${fmtBytes(ensBytes.length)}; MNIST test error ${pct(Number(extra(ens).testError))}`);
  fact('Kernels', det.network.backend === 'wasm' ? 'WebAssembly SIMD' : 'TypeScript (WebAssembly unavailable)');
  fact('Trained by', String(extra(det).command ?? 'npm run demo:model'));
  return { det: det.network, ens: ens.network };
}

async function classifyTestDigits(model: Loaded): Promise<void> {
  const res = await fetch('model/mnist-test10.json');
  if (!res.ok) throw new Error(`model/mnist-test10.json: HTTP ${res.status}`);
  const t = (await res.json()) as { labels: number[]; images: number[][] };
  const predicted = Array.from(model.det.predict(asInput(t.images.flat(), t.images.length)));
  const list = $('test-digits');
  t.images.forEach((img, i) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    const c = document.createElement('canvas');
    c.width = c.height = SIDE;
    paintDigit(c, img);
    const cap = document.createElement('span');
    cap.textContent = `→ ${predicted[i]}`;
    if (predicted[i] !== t.labels[i]) cap.className = 'wrong';
    button.setAttribute('aria-label', `Test digit ${i + 1}: labelled ${t.labels[i]}, predicted ${predicted[i]}. Copy to the drawing pad.`);
    button.append(c, cap);
    button.addEventListener('click', () => pad.show(img));
    li.append(button);
    list.append(li);
  });
  $('predictions').textContent = predicted.join(' ');
  const right = predicted.filter((p, i) => p === t.labels[i]).length;
  $('status').textContent = `Ready: ${right} of ${t.labels.length} test digits right.`;
}

/** Median of the last few timings, so the number does not flicker. */
class Timer {
  private last: number[] = [];
  add(ms: number): number {
    this.last.push(ms);
    if (this.last.length > 15) this.last.shift();
    const s = [...this.last].sort((a, b) => a - b);
    return s[s.length >> 1];
  }
}

/** Mean milliseconds of `fn` over enough repeats to be above the clock's resolution. */
function timeIt(fn: () => void, minMs = 2): number {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    fn();
    reps++;
    t = performance.now();
  } while (t - t0 < minMs && reps < 1000);
  return (t - t0) / reps;
}

function buildBars(): HTMLElement[] {
  const bars = $('bars');
  const fills: HTMLElement[] = [];
  for (let k = 0; k < 10; k++) {
    const name = document.createElement('span');
    name.textContent = String(k);
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('div');
    bar.append(fill);
    const val = document.createElement('span');
    val.className = 'val';
    val.setAttribute('role', 'listitem');
    bars.append(name, bar, val);
    fills.push(fill, val);
  }
  return fills;
}

let model: Loaded | null = null;
const detTimer = new Timer();
const ensTimer = new Timer();
let bars: HTMLElement[] = [];

function classifyDrawing(pixels: Uint8Array | null): void {
  const preview = $<HTMLCanvasElement>('preview');
  paintDigit(preview, pixels ?? new Uint8Array(SIDE * SIDE));
  if (!model || !pixels) {
    for (const id of ['det-class', 'ens-class', 'agree', 'entropy', 'timing']) $(id).textContent = '–';
    for (let k = 0; k < 10; k++) {
      bars[2 * k].style.width = '0';
      bars[2 * k + 1].textContent = '';
    }
    return;
  }
  const { det, ens } = model;
  const X = asInput(pixels, 1);
  let detClass = 0;
  const detMs = detTimer.add(timeIt(() => (detClass = det.predict(X)[0])));
  let probs: ArrayLike<number> = new Float64Array(10);
  const ensMs = ensTimer.add(timeIt(() => (probs = ens.probabilities(X).data)));
  let best = 0;
  for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
  const memberClasses = ens.members.map((m) => m.predict(X)[0]);
  $('det-class').textContent = String(detClass);
  $('ens-class').textContent = String(best);
  $('agree').textContent = `${agreeing(memberClasses, best)} of ${ens.members.length} members agree`;
  $('entropy').textContent = `${entropyBits(probs).toFixed(2)} bits (of ${Math.log2(10).toFixed(2)})`;
  for (let k = 0; k < 10; k++) {
    bars[2 * k].style.width = `${(100 * probs[k]).toFixed(1)}%`;
    bars[2 * k + 1].textContent = probs[k].toFixed(2);
    bars[2 * k + 1].setAttribute('aria-label', `class ${k}: ${probs[k].toFixed(2)}`);
  }
  const us = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
  $('timing').textContent = `${us(detMs)} deterministic network, ${us(ensMs)} ensemble of ${ens.members.length}`;
}

/** The drawing pad: pointer strokes (mouse, touch, pen) in white on black, read back as ink in [0, 1]. */
class Pad {
  private ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private pending = false;
  constructor(private canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      try {
        canvas.setPointerCapture(e.pointerId);
      } catch {
        // a pointer the browser no longer tracks (or a synthetic one): draw without capture
      }
      this.last = this.at(e);
      this.line(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const ev of events.length ? events : [e]) {
        const p = this.at(ev);
        this.line(this.last, p);
        this.last = p;
      }
    });
    const end = () => {
      this.last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }
  private at(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }
  private line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 13;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
    this.changed();
  }
  /** Classify at the next frame; `data-pending` on the canvas says whether a classification is still due. */
  private changed(): void {
    if (this.pending) return;
    this.pending = true;
    this.canvas.dataset.pending = 'true';
    requestAnimationFrame(() => {
      this.pending = false;
      classifyDrawing(this.pixels());
      this.canvas.dataset.pending = 'false';
    });
  }
  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.changed();
  }
  /** A 28×28 image drawn onto the pad, scaled up (it is classified again after MNIST preprocessing). */
  show(pixels: ArrayLike<number>): void {
    const s = this.canvas.width / SIDE;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const v = pixels[y * SIDE + x];
        this.ctx.fillStyle = `rgb(${v},${v},${v})`;
        this.ctx.fillRect(x * s, y * s, s, s);
      }
    }
    this.changed();
  }
  pixels(): Uint8Array | null {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
    return mnistFromInk(ink, width, height);
  }
}

let pad: Pad;

/** The test-error curve: EBP-D and EBP-P against epochs, redrawn on every point. */
class Curve {
  private d: [number, number][] = [];
  private p: [number, number][] = [];
  constructor(private svg: SVGSVGElement, private epochs: number) {
    this.draw();
  }
  add(at: number, errorD: number, errorP: number): void {
    this.d.push([at, errorD]);
    this.p.push([at, errorP]);
    this.draw();
  }
  private draw(): void {
    const NS = 'http://www.w3.org/2000/svg';
    const W = 320;
    const H = 160;
    const L = 34;
    const B = 20;
    const top = Math.max(0.05, ...this.d.map((q) => q[1]), ...this.p.map((q) => q[1]).filter(Number.isFinite));
    const ymax = Math.min(1, Math.ceil(top * 10) / 10);
    const x = (e: number) => L + ((W - L - 8) * e) / Math.max(1, this.epochs);
    const y = (v: number) => H - B - ((H - B - 8) * v) / ymax;
    this.svg.replaceChildren();
    const el = (name: string, attrs: Record<string, string | number>, text?: string) => {
      const n = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
      if (text !== undefined) n.textContent = text;
      this.svg.append(n);
    };
    el('line', { class: 'axis', x1: L, y1: H - B, x2: W - 4, y2: H - B });
    el('line', { class: 'axis', x1: L, y1: 6, x2: L, y2: H - B });
    for (const v of [0, ymax / 2, ymax]) el('text', { x: 2, y: y(v) + 3 }, `${(100 * v).toFixed(0)}%`);
    const ticks = Math.min(this.epochs, 10);
    for (let i = 0; i <= ticks; i++) {
      const e = Math.round((i * this.epochs) / ticks);
      el('text', { x: x(e) - 3, y: H - 6 }, String(e));
    }
    const pts = (q: [number, number][]) => q.filter((r) => Number.isFinite(r[1])).map((r) => `${x(r[0]).toFixed(1)},${y(r[1]).toFixed(1)}`).join(' ');
    el('polyline', { class: 'p', points: pts(this.p) });
    el('polyline', { class: 'd', points: pts(this.d) });
  }
}

function setupTraining(): void {
  const form = $<HTMLFormElement>('train-form');
  const trainBtn = $<HTMLButtonElement>('train');
  const stopBtn = $<HTMLButtonElement>('stop');
  const progress = $<HTMLProgressElement>('progress');
  const status = $('train-status');
  const download = $<HTMLAnchorElement>('download');
  const fileInput = $<HTMLInputElement>('csv-file');
  fileInput.addEventListener('change', () => {
    if (fileInput.files?.length) (form.querySelector('input[value=file]') as HTMLInputElement).checked = true;
  });
  let worker: Worker | null = null;
  let url: string | null = null;
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  // Threads need a cross-origin isolated page (COOP/COEP headers; docs/threads.md); the bytes are the same on 1.
  const threadsInput = $<HTMLInputElement>('threads');
  const threadsNote = $('threads-note');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
  threadsInput.value = String(isolated ? cores : 1);
  threadsInput.max = String(isolated ? cores : 1);
  threadsNote.textContent = isolated ? `up to ${cores}: the same model on any count` : 'one: this page is not cross-origin isolated';

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      const source = (form.querySelector('input[name=source]:checked') as HTMLInputElement).value;
      let req: TrainRequest;
      const common = { label: $<HTMLInputElement>('label-col').value.trim(), hidden: num('hidden'), epochs: num('epochs'), batchSize: num('batch'), seed: num('seed'), threads: num('threads'), validationFraction: 0.2 };
      if (source === 'file') {
        const file = fileInput.files?.[0];
        if (!file) {
          status.textContent = 'Choose a CSV file first.';
          fileInput.focus();
          return;
        }
        req = { type: 'train', train: { name: file.name, text: await file.text() }, ...common };
      } else {
        const get = async (name: string) => {
          const res = await fetch(`data/${name}`);
          if (!res.ok) throw new Error(`data/${name}: HTTP ${res.status}`);
          return { name, text: await res.text() };
        };
        req = { type: 'train', train: await get('digits_train.csv'), test: await get('digits_test.csv'), ...common };
      }
      if (url) URL.revokeObjectURL(url);
      download.hidden = true;
      progress.value = 0;
      const curve = new Curve($('curve') as unknown as SVGSVGElement, req.epochs);
      worker ??= new Worker('worker.js');
      trainBtn.disabled = true;
      stopBtn.disabled = false;
      status.textContent = 'Reading the data…';
      worker.onerror = (e) => {
        status.textContent = `The worker failed: ${e.message}`;
        trainBtn.disabled = false;
        stopBtn.disabled = true;
      };
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const m = e.data;
        switch (m.type) {
          case 'data':
            status.textContent = `Training on ${m.trainRows} rows (${m.inputs} inputs, ${m.classes.length} classes), testing on ${m.testRows}…`;
            break;
          case 'ready':
            if (m.reason !== undefined) threadsNote.textContent = `one: ${m.reason}`;
            break;
          case 'progress':
            progress.value = m.fraction;
            break;
          case 'point':
            curve.add(m.at, m.errorD, m.errorP);
            break;
          case 'done': {
            progress.value = m.interrupted ? progress.value : 1;
            url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
            download.href = url;
            download.download = m.fileName;
            download.textContent = `Download ${m.fileName} (${fmtBytes(m.bytes.byteLength)})`;
            download.hidden = false;
            status.textContent =
              `${m.interrupted ? 'Stopped' : 'Done'} after ${m.epochs} full epoch${m.epochs === 1 ? '' : 's'} in ${m.seconds.toFixed(1)} s ` +
              `on ${m.threads} thread${m.threads === 1 ? '' : 's'}: ` +
              `test error ${pct(m.errorD)} (EBP-D, the packed network), ${pct(m.errorP)} (EBP-P).`;
            trainBtn.disabled = false;
            stopBtn.disabled = true;
            break;
          }
          case 'error':
            status.textContent = `Training failed: ${m.message}`;
            trainBtn.disabled = false;
            stopBtn.disabled = true;
            break;
        }
      };
      worker.postMessage(req);
    })().catch((e: unknown) => {
      status.textContent = `Training failed: ${e instanceof Error ? e.message : String(e)}`;
    });
  });
  stopBtn.addEventListener('click', () => {
    worker?.postMessage({ type: 'stop' });
    stopBtn.disabled = true;
    status.textContent = 'Stopping…';
  });
}

async function main(): Promise<void> {
  bars = buildBars();
  pad = new Pad($<HTMLCanvasElement>('pad'));
  $('clear').addEventListener('click', () => pad.clear());
  setupTraining();
  model = await loadModel();
  await classifyTestDigits(model);
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  $('status').textContent = `The demo failed to start: ${e instanceof Error ? e.message : String(e)}`;
  console.error(e);
});
