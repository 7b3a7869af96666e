/**
 * A few hand-written SVG chart pieces (no dependency): panels with axes, ticks, grid, labels and a title; line
 * series with optional markers and error bars; horizontal reference lines with bands; legends; reliability
 * diagrams. Pure functions returning SVG text.
 */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r2 = (v: number) => (Math.round(v * 100) / 100).toString();

export interface Axis {
  label: string;
  min: number;
  max: number;
  log?: boolean;
  ticks: number[];
  format: (v: number) => string;
}

export interface LineSeries {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  /** [x, y]; non-finite points break the line. */
  points: [number, number][];
  /** Error bars [lo, hi] at the same x (optional). */
  errors?: [number, number][];
  marker?: 'circle' | 'square' | 'triangle' | 'diamond';
}

export interface RefLine {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  y: number;
  /** Shaded band [lo, hi] (e.g. ± std). */
  band?: [number, number];
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PanelSpec {
  box: Box;
  title: string;
  xAxis: Axis;
  yAxis: Axis;
  series?: LineSeries[];
  refs?: RefLine[];
  /** Extra SVG drawn inside the clipped plot area, in data coordinates via the given mappers. */
  extra?: (sx: (x: number) => number, sy: (y: number) => number) => string;
}

let clipId = 0;

export function scale(a: Axis, lo: number, hi: number): (v: number) => number {
  if (a.log) {
    const l0 = Math.log10(a.min);
    const l1 = Math.log10(a.max);
    return (v) => lo + ((Math.log10(v) - l0) / (l1 - l0)) * (hi - lo);
  }
  return (v) => lo + ((v - a.min) / (a.max - a.min)) * (hi - lo);
}

export function markerSvg(kind: LineSeries['marker'], x: number, y: number, color: string, size = 4): string {
  switch (kind) {
    case 'circle':
      return `<circle cx="${r2(x)}" cy="${r2(y)}" r="${size}" fill="${color}" stroke="white" stroke-width="1"/>`;
    case 'square':
      return `<rect x="${r2(x - size)}" y="${r2(y - size)}" width="${2 * size}" height="${2 * size}" fill="${color}" stroke="white" stroke-width="1"/>`;
    case 'triangle':
      return `<path d="M${r2(x)},${r2(y - size - 1)} L${r2(x + size + 1)},${r2(y + size)} L${r2(x - size - 1)},${r2(y + size)} Z" fill="${color}" stroke="white" stroke-width="1"/>`;
    case 'diamond':
      return `<path d="M${r2(x)},${r2(y - size - 1)} L${r2(x + size + 1)},${r2(y)} L${r2(x)},${r2(y + size + 1)} L${r2(x - size - 1)},${r2(y)} Z" fill="${color}" stroke="white" stroke-width="1"/>`;
    default:
      return '';
  }
}

/** One chart panel: frame, grid, ticks, axis labels, title, then reference lines and series clipped to the plot area. */
export function panel(p: PanelSpec): string {
  const { x, y, w, h } = p.box;
  const sx = scale(p.xAxis, x, x + w);
  const sy = scale(p.yAxis, y + h, y);
  const id = `clip${++clipId}`;
  const out: string[] = [];
  out.push(`<g class="panel">`);
  out.push(`<defs><clipPath id="${id}"><rect x="${x}" y="${y}" width="${w}" height="${h}"/></clipPath></defs>`);
  out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="white" stroke="none"/>`);
  // grid + ticks
  for (const t of p.xAxis.ticks) {
    if (t < p.xAxis.min - 1e-12 || t > p.xAxis.max + 1e-12) continue;
    const X = r2(sx(t));
    out.push(`<line x1="${X}" y1="${y}" x2="${X}" y2="${y + h}" stroke="#e6e6e6" stroke-width="1"/>`);
    out.push(`<line x1="${X}" y1="${y + h}" x2="${X}" y2="${y + h + 5}" stroke="#333"/>`);
    out.push(`<text x="${X}" y="${y + h + 18}" text-anchor="middle" font-size="12">${esc(p.xAxis.format(t))}</text>`);
  }
  for (const t of p.yAxis.ticks) {
    if (t < p.yAxis.min - 1e-12 || t > p.yAxis.max + 1e-12) continue;
    const Y = r2(sy(t));
    out.push(`<line x1="${x}" y1="${Y}" x2="${x + w}" y2="${Y}" stroke="#e6e6e6" stroke-width="1"/>`);
    out.push(`<line x1="${x - 5}" y1="${Y}" x2="${x}" y2="${Y}" stroke="#333"/>`);
    out.push(`<text x="${x - 8}" y="${Y}" dy="0.35em" text-anchor="end" font-size="12">${esc(p.yAxis.format(t))}</text>`);
  }
  out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#333" stroke-width="1"/>`);
  out.push(`<text x="${r2(x + w / 2)}" y="${y + h + 38}" text-anchor="middle" font-size="13">${esc(p.xAxis.label)}</text>`);
  out.push(`<text transform="translate(${x - 48},${r2(y + h / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${esc(p.yAxis.label)}</text>`);
  out.push(`<text x="${r2(x + w / 2)}" y="${y - 10}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<g clip-path="url(#${id})">`);
  if (p.extra) out.push(p.extra(sx, sy));
  for (const ref of p.refs ?? []) {
    if (ref.band && Number.isFinite(ref.band[0]) && Number.isFinite(ref.band[1])) {
      const y0 = sy(ref.band[1]);
      const y1 = sy(ref.band[0]);
      out.push(`<rect x="${x}" y="${r2(y0)}" width="${w}" height="${r2(Math.max(y1 - y0, 0.5))}" fill="${ref.color}" fill-opacity="0.12"/>`);
    }
    if (Number.isFinite(ref.y)) {
      const Y = r2(sy(ref.y));
      out.push(`<line x1="${x}" y1="${Y}" x2="${x + w}" y2="${Y}" stroke="${ref.color}" stroke-width="${ref.width ?? 2}"${ref.dash ? ` stroke-dasharray="${ref.dash}"` : ''}/>`);
    }
  }
  for (const s of p.series ?? []) {
    const segs: string[][] = [[]];
    s.points.forEach(([px, py]) => {
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        segs.push([]);
        return;
      }
      segs[segs.length - 1].push(`${r2(sx(px))},${r2(sy(py))}`);
    });
    if (s.errors) {
      s.errors.forEach(([lo, hi], i) => {
        const px = s.points[i]?.[0];
        if (!Number.isFinite(px) || !Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return;
        const X = sx(px);
        out.push(`<line x1="${r2(X)}" y1="${r2(sy(lo))}" x2="${r2(X)}" y2="${r2(sy(hi))}" stroke="${s.color}" stroke-width="1.5"/>`);
        for (const v of [lo, hi]) out.push(`<line x1="${r2(X - 4)}" y1="${r2(sy(v))}" x2="${r2(X + 4)}" y2="${r2(sy(v))}" stroke="${s.color}" stroke-width="1.5"/>`);
      });
    }
    for (const seg of segs) {
      if (seg.length > 1) out.push(`<polyline points="${seg.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    }
    if (s.marker) {
      for (const [px, py] of s.points) if (Number.isFinite(px) && Number.isFinite(py)) out.push(markerSvg(s.marker, sx(px), sy(py), s.color));
    }
  }
  out.push(`</g></g>`);
  return out.join('\n');
}

export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  width?: number;
  marker?: LineSeries['marker'];
  /** A filled square instead of a line (bars). */
  swatch?: boolean;
  opacity?: number;
}

/** A vertical legend starting at (x, y), in a light box; optional heading. */
export function legend(items: LegendItem[], x: number, y: number, heading?: string, width = 230): string {
  const lh = 20;
  const top = heading ? 22 : 6;
  const h = top + items.length * lh + 6;
  const out = [`<g class="legend"><rect x="${x}" y="${y}" width="${width}" height="${h}" fill="white" fill-opacity="0.92" stroke="#bbb" rx="4"/>`];
  if (heading) out.push(`<text x="${x + 10}" y="${y + 16}" font-size="12" font-weight="bold">${esc(heading)}</text>`);
  items.forEach((it, i) => {
    const cy = y + top + i * lh + lh / 2;
    if (it.swatch) out.push(`<rect x="${x + 10}" y="${cy - 6}" width="28" height="12" fill="${it.color}" fill-opacity="${it.opacity ?? 1}" stroke="${it.color}"/>`);
    else out.push(`<line x1="${x + 10}" y1="${cy}" x2="${x + 38}" y2="${cy}" stroke="${it.color}" stroke-width="${it.width ?? 2}"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`);
    if (it.marker) out.push(markerSvg(it.marker, x + 24, cy, it.color));
    out.push(`<text x="${x + 46}" y="${cy}" dy="0.35em" font-size="12">${esc(it.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** A complete SVG document. */
export function svgDocument(width: number, height: number, title: string, body: string[], subtitle?: string): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">${esc(title)}</text>`,
    subtitle ? `<text x="${width / 2}" y="46" text-anchor="middle" font-size="12" fill="#444">${esc(subtitle)}</text>` : '',
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Ticks m·10^e (m from `mantissas`, default 1, 2, 5) covering [min, max] on a log axis. */
export function logTicks(min: number, max: number, mantissas: readonly number[] = [1, 2, 5]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

/** Decade ticks 10^e within [min, max]. */
export function decadeTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    const v = 10 ** e;
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
  }
  return out;
}

/** About n "nice" ticks (steps 1, 2, 2.5, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, n = 5): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

/** A "nice" upper bound for a linear axis starting at 0. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  const m = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((x) => x * p >= v) ?? 10;
  return m * p;
}
