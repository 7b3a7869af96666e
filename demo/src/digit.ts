/**
 * What the page does with numbers, kept free of the DOM so Node tests it: MNIST-style preprocessing of a drawn
 * digit, and the uncertainty read off an ensemble's votes.
 */

/** Side of an MNIST image, and of the box the digit's larger side is scaled to (LeCun et al.'s normalisation). */
export const SIDE = 28;
export const BOX = 20;

/**
 * A drawn digit as MNIST digits were made: the ink's bounding box scaled (aspect kept, area-averaged, so
 * edges come out grey) until its larger side is 20 pixels, then placed in a 28×28 frame with its centre of
 * mass at the frame's centre. `ink` is `width`×`height` row-major, 0 (paper) to 1 (full ink). Returns 784
 * grey levels 0..255 (as the MNIST files store them), or null when nothing is drawn.
 */
export function mnistFromInk(ink: ArrayLike<number>, width: number, height: number): Uint8Array | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  // The scaled box: each output pixel averages the source area it covers (fractional overlaps weighted).
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  const small = new Float64Array(sw * sh);
  const fx = bw / sw;
  const fy = bh / sh;
  for (let oy = 0; oy < sh; oy++) {
    const ya = y0 + oy * fy;
    const yb = ya + fy;
    for (let ox = 0; ox < sw; ox++) {
      const xa = x0 + ox * fx;
      const xb = xa + fx;
      let sum = 0;
      for (let y = Math.floor(ya); y < yb; y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(xa); x < xb; x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          if (wx > 0) sum += wx * wy * ink[y * width + x];
        }
      }
      small[oy * sw + ox] = sum / (fx * fy);
    }
  }
  // Centre of mass of the scaled digit, moved to the frame's centre (whole pixels, as MNIST did).
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = small[y * sw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  const dx = Math.round(SIDE / 2 - cx / mass);
  const dy = Math.round(SIDE / 2 - cy / mass);
  const out = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < sh; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= SIDE) continue;
    for (let x = 0; x < sw; x++) {
      const tx = x + dx;
      if (tx < 0 || tx >= SIDE) continue;
      out[ty * SIDE + tx] = Math.round(255 * Math.min(1, Math.max(0, small[y * sw + x])));
    }
  }
  return out;
}

/** Entropy in bits of a probability row (0 log 0 = 0). */
export function entropyBits(p: ArrayLike<number>): number {
  let h = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) h -= p[k] * Math.log2(p[k]);
  return h;
}

/** How many of the members' classes equal `cls`. */
export function agreeing(memberClasses: ArrayLike<number>, cls: number): number {
  let n = 0;
  for (let m = 0; m < memberClasses.length; m++) if (memberClasses[m] === cls) n++;
  return n;
}
