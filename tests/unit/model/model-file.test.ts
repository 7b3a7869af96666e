import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PosteriorStore } from '../../../src/ebp/posterior';
import { IoError, ModelFormatError } from '../../../src/errors';
import { encodeModel } from '../../../src/model/encode';
import { loadModel, saveModel } from '../../../src/node/model-file';
import { XnorNetwork } from '../../../src/xnor/network';

describe('saveModel / loadModel', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpb-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const net = XnorNetwork.fromPosterior(PosteriorStore.init([10, 6, 3], { seed: 1, backend: 'js' }));
  const bytes = encodeModel(net, { classNames: ['a', 'b', 'c'] });

  test('round trip, refuse to overwrite without force, overwrite with force, no temporary files left', () => {
    const file = path.join(dir, 'm.ebpb');
    saveModel(file, bytes);
    expect(fs.readFileSync(file).equals(Buffer.from(bytes))).toBe(true);
    const d = loadModel(file);
    expect(d.meta.classNames).toEqual(['a', 'b', 'c']);
    expect(() => saveModel(file, new Uint8Array(3))).toThrow(IoError);
    expect(() => saveModel(file, new Uint8Array(3))).toThrow(`${file} already exists; pass force to overwrite it.`);
    expect(fs.readFileSync(file).length).toBe(bytes.length);
    saveModel(file, bytes.subarray(0, 10), { force: true });
    expect(fs.readFileSync(file).length).toBe(10);
    expect(fs.readdirSync(dir)).toEqual(['m.ebpb']);
  });

  test('errors name the file', () => {
    const file = path.join(dir, 'bad.ebpb');
    fs.writeFileSync(file, bytes.subarray(0, 50));
    expect(() => loadModel(file)).toThrow(ModelFormatError);
    expect(() => loadModel(file)).toThrow(`${file}: the file is truncated: it has 50 bytes`);
    expect(() => loadModel(path.join(dir, 'none.ebpb'))).toThrow(IoError);
    expect(() => loadModel(dir)).toThrow(/is a directory/);
    expect(() => saveModel(path.join(dir, 'no', 'such', 'x.ebpb'), bytes)).toThrow(/does not exist/);
  });
});
