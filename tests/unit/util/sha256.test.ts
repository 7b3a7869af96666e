import { createHash } from 'node:crypto';
import { Sha256, sha256Hex } from '../../../src/util/sha256';
import { createRng } from '../../../src/util/random';

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it("agrees with node:crypto on every length from 0 to 300 bytes, fed in uneven chunks", () => {
    const rng = createRng(3);
    for (let n = 0; n <= 300; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rng.next() * 256));
      const h = new Sha256();
      for (let i = 0; i < n; ) {
        const step = 1 + Math.floor(rng.next() * 70);
        h.update(bytes.subarray(i, i + step));
        i += step;
      }
      expect(h.digestHex()).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
