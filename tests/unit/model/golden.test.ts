/** The hex dump in docs/model-format.md is the encoder's exact output for the documented 2×3 example. */
import { readFileSync } from 'fs';
import { join } from 'path';
import { encodeModel } from '../../../src/model/encode';
import { decodeModel } from '../../../src/model/decode';
import { XnorNetwork } from '../../../src/xnor/network';

function dumpFromDocs(): Uint8Array {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'model-format.md'), 'utf8');
  const at = doc.indexOf('<!-- golden-hexdump');
  expect(at).toBeGreaterThan(0);
  const block = /```text\n([\s\S]*?)```/.exec(doc.slice(at))![1];
  const bytes: number[] = [];
  for (const line of block.trim().split('\n')) {
    const m = /^([0-9a-f]{8})  ((?:[0-9a-f]{2} ?)+)/.exec(line)!;
    expect(parseInt(m[1], 16)).toBe(bytes.length);
    for (const h of m[2].trim().split(' ')) bytes.push(parseInt(h, 16));
  }
  return Uint8Array.from(bytes);
}

test('docs/model-format.md hex dump = encodeModel of the 2×3 example', () => {
  const net = XnorNetwork.fromLayers([{ weights: [1, -1, 1, -1, -1, 1], inputs: 3, outputs: 2, bias: [0.5, -1.25] }]);
  const bytes = encodeModel(net);
  expect(Array.from(bytes)).toEqual(Array.from(dumpFromDocs()));
  const back = decodeModel(dumpFromDocs()).network;
  expect(Array.from(back.scores([[1, 2, 3]]).data)).toEqual([1 - 2 + 3 + 0.5, -1 - 2 + 3 - 1.25]);
});
