/** The comparison's SVG plots: test error per epoch, STE's learning-rate sweep against EBP, reliability diagrams. */
import type { ComparisonResult } from './compare';
import type { ReliabilityBin } from '../eval/metrics';
import { lrLabel } from './runs';
import { bestSte, type SummaryRow } from './summary';
import { decadeTicks, esc, legend, logTicks, niceTicks, panel, scale, svgDocument, type Axis, type LegendItem, type LineSeries, type RefLine } from './svg';

const LR_COLORS = ['#7b3294', '#3b528b', '#1f9e89', '#5aae61', '#c49a00', '#e6550d', '#d6604d', '#4d4d4d'];
const EBP_STYLE = {
  'ebp-p': { color: '#000000', width: 3, dash: undefined as string | undefined, marker: 'circle' as const },
  'ebp-d': { color: '#777777', width: 2, dash: '7 4', marker: 'square' as const },
  'ebp-ensemble': { color: '#d62728', width: 2.5, dash: '2 3', marker: 'diamond' as const },
};
const BN_STYLE = {
  bn: { color: '#1f77b4', dash: undefined as string | undefined, marker: 'circle' as const },
  nobn: { color: '#ff7f0e', dash: '6 3', marker: 'square' as const },
};

const REL = { acc: '#4c78a8', over: '#e45756', under: '#54a24b' };

/** Display name of a dataset. */
export function datasetTitle(name: string): string {
  return name === 'mnist10k' ? 'MNIST-10k' : name === 'fashion-mnist' ? 'Fashion-MNIST' : name;
}

const pct = (v: number) => {
  const x = 100 * v;
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(x % 1 === 0 ? 0 : 1) : x.toPrecision(1);
};

function errorAxis(values: number[], label: string): Axis {
  const fin = values.filter((v) => Number.isFinite(v) && v > 0);
  let lo = fin.length ? Math.min(...fin) : 0.01;
  let hi = fin.length ? Math.max(...fin) : 1;
  lo = Math.max(1e-4, lo / 1.25);
  hi = Math.min(1, hi * 1.25);
  if (hi / lo < 3) {
    const m = Math.sqrt(lo * hi);
    lo = Math.max(1e-4, m / 1.8);
    hi = Math.min(1, m * 1.8);
  }
  let ticks = logTicks(lo, hi);
  if (ticks.length < 5) ticks = logTicks(lo, hi, [1, 2, 3, 5]);
  if (ticks.length < 3) ticks = niceTicks(lo, hi, 4).filter((t) => t > 0);
  return { label, min: lo, max: hi, log: true, ticks, format: (v) => `${pct(v)}%` };
}

function ebpRows(rows: readonly SummaryRow[]): SummaryRow[] {
  return rows.filter((r) => r.method !== 'ste');
}

/** Test error per epoch: one panel per batch-norm setting with STE at every learning rate, EBP's three methods in each. */
export function errorPerEpochSvg(res: ComparisonResult): string {
  const rows = res.summary;
  const E = res.settings.epochs;
  const bnSettings = res.settings.batchNorm;
  const all = rows.flatMap((r) => r.errorPerEpoch.mean);
  const yAxis = errorAxis(all, 'test error (log scale)');
  const xTicks = E <= 10 ? Array.from({ length: E }, (_, i) => i + 1) : niceTicks(1, E, 5).filter((t) => Number.isInteger(t) && t >= 1);
  if (!xTicks.includes(1)) xTicks.unshift(1);
  const xAxis: Axis = { label: 'epoch', min: E > 1 ? 1 : 0.5, max: E > 1 ? E : 1.5, ticks: xTicks, format: (v) => String(v) };
  const pw = 400;
  const ph = 330;
  const left = 80;
  const top = 90;
  const gap = 90;
  const legendX = left + bnSettings.length * (pw + gap) - gap + 30;
  const width = legendX + 250;
  const height = top + ph + 70;
  const ebpSeries = (): LineSeries[] =>
    ebpRows(rows).map((r) => {
      const st = EBP_STYLE[r.method as keyof typeof EBP_STYLE];
      return { label: r.label, color: st.color, width: st.width, dash: st.dash, points: r.errorPerEpoch.mean.map((v, i) => [i + 1, v] as [number, number]) };
    });
  const body: string[] = [];
  bnSettings.forEach((bn, pi) => {
    const ste = rows.filter((r) => r.method === 'ste' && r.batchNorm === bn);
    const series: LineSeries[] = ste.map((r) => ({
      label: r.label,
      color: LR_COLORS[res.settings.lrs.indexOf(r.lr as number) % LR_COLORS.length],
      width: 1.8,
      points: r.errorPerEpoch.mean.map((v, i) => [i + 1, v] as [number, number]),
    }));
    body.push(
      panel({
        box: { x: left + pi * (pw + gap), y: top, w: pw, h: ph },
        title: `STE ${bn ? 'with' : 'without'} batch norm (batch ${res.settings.steBatch}) vs EBP (batch ${res.settings.ebpBatch})`,
        xAxis,
        yAxis,
        series: [...series, ...ebpSeries()],
      }),
    );
  });
  const items: LegendItem[] = [
    ...ebpRows(rows).map((r) => {
      const st = EBP_STYLE[r.method as keyof typeof EBP_STYLE];
      return { label: r.label, color: st.color, width: st.width, dash: st.dash };
    }),
  ];
  const lrItems: LegendItem[] = res.settings.lrs.map((lr, i) => ({ label: `lr ${lrLabel(lr)} → ${lrLabel(lr * res.settings.lrEndRatio)}`, color: LR_COLORS[i % LR_COLORS.length], width: 1.8 }));
  body.push(legend(items, legendX, top, 'EBP (no learning rate)'));
  body.push(legend(lrItems, legendX, top + 110, 'STE, Adam lr start → end'));
  return svgDocument(
    width,
    height,
    `${datasetTitle(res.dataset.name)}: test error per epoch, ${res.settings.sizes.join('-')}`,
    body,
    `mean over ${res.settings.seeds.length} seed${res.settings.seeds.length > 1 ? 's' : ''}; same data order for every method (fit seed 1000 + s); ${res.dataset.testRows} test rows`,
  );
}

function stdBand(m: { mean: number; std: number }): [number, number] {
  return [m.mean - m.std, m.mean + m.std];
}

/** STE's final test error (and ECE) against the learning rate, EBP's methods drawn across as horizontal lines. */
export function lrSweepSvg(res: ComparisonResult): string {
  const rows = res.summary;
  const lrs = res.settings.lrs;
  const lrMin = Math.min(...lrs) / 2;
  const lrMax = Math.max(...lrs) * 2;
  const xAxis: Axis = { label: 'STE learning rate at epoch 1 (log scale)', min: lrMin, max: lrMax, log: true, ticks: lrs.length > 8 ? decadeTicks(lrMin, lrMax) : lrs, format: lrLabel };
  const pw = 420;
  const ph = 330;
  const left = 80;
  const top = 90;
  const gap = 100;
  const body: string[] = [];
  const metricPanels: { key: 'testError' | 'ece'; title: string; label: string }[] = [
    { key: 'testError', title: 'Final test error', label: 'test error after the last epoch (log scale)' },
    { key: 'ece', title: 'Expected calibration error (15 bins)', label: 'ECE (log scale)' },
  ];
  const legendItems: LegendItem[] = [];
  metricPanels.forEach((mp, pi) => {
    const series: LineSeries[] = [];
    for (const bn of res.settings.batchNorm) {
      const st = BN_STYLE[bn ? 'bn' : 'nobn'];
      const ste = rows.filter((r) => r.method === 'ste' && r.batchNorm === bn).sort((a, b) => (a.lr as number) - (b.lr as number));
      series.push({
        label: `STE ${bn ? 'with' : 'without'} BN`,
        color: st.color,
        dash: st.dash,
        marker: st.marker,
        points: ste.map((r) => [r.lr as number, r[mp.key].mean]),
        errors: ste.map((r) => stdBand(r[mp.key])),
      });
      if (mp.key === 'ece' && ste.length && ste[0].alternatives.length) {
        series.push({
          label: `STE ${bn ? 'with' : 'without'} BN, softmax of scores`,
          color: st.color,
          dash: '1 3',
          width: 1.5,
          marker: 'triangle',
          points: ste.map((r) => [r.lr as number, r.alternatives[0].ece.mean]),
        });
      }
    }
    const refs: RefLine[] = ebpRows(rows).map((r) => {
      const st = EBP_STYLE[r.method as keyof typeof EBP_STYLE];
      return { label: r.label, color: st.color, dash: st.dash, width: st.width, y: r[mp.key].mean, band: r.method === 'ebp-p' ? stdBand(r[mp.key]) : undefined };
    });
    const vals = [...series.flatMap((s) => s.points.map((p) => p[1])), ...series.flatMap((s) => (s.errors ?? []).flat()), ...refs.map((r) => r.y)];
    const yAxis = errorAxis(vals, mp.label);
    body.push(panel({ box: { x: left + pi * (pw + gap), y: top, w: pw, h: ph }, title: mp.title, xAxis, yAxis, series, refs }));
    if (pi === 1) {
      for (const s of series) legendItems.push({ label: s.label, color: s.color, dash: s.dash, width: s.width, marker: s.marker });
      for (const r of refs) legendItems.push({ label: `${r.label} (no lr)${r.band ? ' ± std' : ''}`, color: r.color, dash: r.dash, width: r.width });
    }
  });
  const legendX = left + 2 * (pw + gap) - gap + 30;
  body.push(legend(legendItems, legendX, top, 'methods', 290));
  return svgDocument(
    legendX + 310,
    top + ph + 90,
    `${datasetTitle(res.dataset.name)}: STE learning-rate sweep vs EBP, ${res.settings.sizes.join('-')}, ${res.settings.epochs} epochs`,
    body.concat([
      `<text x="${left}" y="${top + ph + 62}" font-size="12" fill="#444">${esc(`Markers: mean over ${res.settings.seeds.length} seed(s), bars ± 1 std. EBP has no learning rate: its methods are horizontal lines (EBP-P with a ± std band). STE ECE: one-hot decision (solid/dashed) or softmax of its scores (dotted).`)}</text>`,
    ]),
    `lr decays exponentially to lr × ${res.settings.lrEndRatio} over the epochs; STE batch ${res.settings.steBatch}, EBP batch ${res.settings.ebpBatch}; probabilities floored at ${res.settings.probabilityFloor}`,
  );
}

function reliabilityPanel(x: number, y: number, size: number, title: string, bins: ReliabilityBin[], total: number): string {
  const unit: Axis = { label: 'confidence (top class)', min: 0, max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], format: (v) => v.toFixed(1) };
  const yAx: Axis = { ...unit, label: 'accuracy' };
  const main = panel({
    box: { x, y, w: size, h: size },
    title,
    xAxis: unit,
    yAxis: yAx,
    extra: (sx, sy) => {
      const out: string[] = [];
      out.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#888" stroke-dasharray="5 4" stroke-width="1.5"/>`);
      for (const b of bins) {
        if (!b.count || b.accuracy === null || b.confidence === null) continue;
        const x0 = (sx(b.lo) + 1).toFixed(2);
        const w = (sx(b.hi) - sx(b.lo) - 2).toFixed(2);
        const rect = (lo: number, hi: number, fill: string, opacity: number) =>
          `<rect x="${x0}" y="${sy(hi).toFixed(2)}" width="${w}" height="${Math.max(sy(lo) - sy(hi), 0.8).toFixed(2)}" fill="${fill}" fill-opacity="${opacity}"/>`;
        const acc = b.accuracy;
        const conf = b.confidence;
        if (acc <= conf) {
          out.push(rect(0, acc, REL.acc, 0.9));
          out.push(rect(acc, conf, REL.over, 0.55));
        } else {
          out.push(rect(0, conf, REL.acc, 0.9));
          out.push(rect(conf, acc, REL.under, 0.75));
        }
      }
      return out.join('\n');
    },
  });
  // share of rows per bin, log scale, in a strip below
  const sh = 46;
  const sy0 = y + size + 50;
  const share: Axis = { label: '', min: 1e-4, max: 1, log: true, ticks: [1e-4, 1e-2, 1], format: (v) => (v >= 1 ? '100%' : v >= 0.01 ? '1%' : '0.01%') };
  const sxs = scale(unit, x, x + size);
  const sys = scale(share, sy0 + sh, sy0);
  const strip: string[] = [`<rect x="${x}" y="${sy0}" width="${size}" height="${sh}" fill="white" stroke="#333"/>`];
  for (const t of share.ticks) strip.push(`<text x="${x - 6}" y="${sys(t).toFixed(2)}" dy="0.35em" text-anchor="end" font-size="10">${share.format(t)}</text>`);
  for (const b of bins) {
    if (!b.count || total <= 0) continue;
    const f = Math.max(b.count / total, 1e-4);
    strip.push(`<rect x="${(sxs(b.lo) + 1).toFixed(2)}" y="${sys(f).toFixed(2)}" width="${(sxs(b.hi) - sxs(b.lo) - 2).toFixed(2)}" height="${(sy0 + sh - sys(f)).toFixed(2)}" fill="#9c9c9c"/>`);
  }
  strip.push(`<text x="${x + size / 2}" y="${sy0 + sh + 14}" text-anchor="middle" font-size="11" fill="#444">share of test rows per bin (log)</text>`);
  return main + '\n' + strip.join('\n');
}

/** Reliability diagrams (pooled over seeds): EBP-P, ensemble, EBP-D, and STE at its best learning rate with and without BN. */
export function reliabilitySvg(res: ComparisonResult): string {
  const rows = res.summary;
  const panels: { title: string; bins: ReliabilityBin[]; ece: number; error: number }[] = [];
  for (const r of ebpRows(rows)) panels.push({ title: r.label, bins: r.reliability.bins, ece: r.reliability.ece, error: r.testError.mean });
  for (const bn of res.settings.batchNorm) {
    const b = bestSte(rows, bn);
    if (!b) continue;
    panels.push({ title: `${b.label} (best)`, bins: b.reliability.bins, ece: b.reliability.ece, error: b.testError.mean });
    if (b.alternatives.length) panels.push({ title: `${b.label}, softmax`, bins: b.alternatives[0].reliability.bins, ece: b.alternatives[0].reliability.ece, error: b.testError.mean });
  }
  const cols = Math.min(panels.length > 6 ? 4 : 3, panels.length);
  const size = 250;
  const cw = size + 110;
  const rh = size + 150;
  const left = 75;
  const top = 130;
  const body: string[] = [];
  panels.forEach((p, i) => {
    const total = p.bins.reduce((a, b) => a + b.count, 0);
    const x = left + (i % cols) * cw;
    const y = top + Math.floor(i / cols) * rh;
    body.push(reliabilityPanel(x, y, size, p.title, p.bins, total));
    body.push(`<text x="${x + 8}" y="${y + 18}" font-size="12" font-weight="bold">${esc(`ECE ${(100 * p.ece).toFixed(2)}% (pooled bins)`)}</text>`);
    body.push(`<text x="${x + 8}" y="${y + 34}" font-size="12">${esc(`error ${(100 * p.error).toFixed(2)}% (mean)`)}</text>`);
  });
  const width = Math.max(left + cols * cw + 20, 900);
  const nrows = Math.ceil(panels.length / cols);
  const keys: [string, string, number, boolean][] = [
    ['accuracy of the bin (bar height)', REL.acc, 0.9, true],
    ['confidence above accuracy (overconfident)', REL.over, 0.55, true],
    ['accuracy above confidence (underconfident)', REL.under, 0.75, true],
    ['perfect calibration', '#888', 1, false],
  ];
  let lx = width / 2 - 440;
  for (const [label, color, op, sw] of keys) {
    body.push(
      sw
        ? `<rect x="${lx}" y="62" width="22" height="12" fill="${color}" fill-opacity="${op}"/>`
        : `<line x1="${lx}" y1="68" x2="${lx + 22}" y2="68" stroke="${color}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
    body.push(`<text x="${lx + 28}" y="68" dy="0.35em" font-size="12">${esc(label)}</text>`);
    lx += 28 + label.length * 6.6 + 24;
  }
  return svgDocument(
    width,
    top + nrows * rh,
    `${datasetTitle(res.dataset.name)}: reliability diagrams, ${res.settings.sizes.join('-')}`,
    body,
    `15 equal-width bins of top-class confidence, pooled over ${res.settings.seeds.length} seed(s); floor ${res.settings.probabilityFloor}; STE's best lr picked on the test set`,
  );
}

/** All plots: file name suffix → SVG text. */
export function comparisonPlots(res: ComparisonResult): Record<string, string> {
  return { 'error-per-epoch': errorPerEpochSvg(res), 'lr-sweep': lrSweepSvg(res), reliability: reliabilitySvg(res) };
}
