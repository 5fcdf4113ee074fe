/**
 * safetensors by hand, and checkpoints built on it: byte layout, round trips, PyTorch-style files without
 * metadata, and an error that names the problem for every kind of bad file, with nothing half-loaded.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { GPT } from '../lib/mingpt/model';
import { loadCheckpoint, loadWeightsInto, saveCheckpoint } from '../lib/mingpt/checkpoint';
import { floatToHalf, readSafetensors, toFloat32, writeSafetensors } from '../lib/mingpt/safetensors';
import { MASK_CHAR, PAD_CHAR, Vocab } from '../lib/data/vocab';
import { randomizeParams, tinyConfig } from './model_helpers';

const vocab7 = Vocab.fromChars([PAD_CHAR, MASK_CHAR, 'a', 'b', 'c', 'd', 'e']);

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-test-'));
}

function logitsOf(model: GPT, rows: number[][]): number[][][] {
  return tf.tidy(() => model.logits(tf.tensor2d(rows, [rows.length, rows[0].length], 'int32')).arraySync());
}

function paramValues(model: GPT): number[][] {
  return [...model.params.values()].map((v) => Array.from(v.dataSync()));
}

/** A safetensors file as PyTorch's state_dict would give it: the tensors only, no metadata. */
function stripMetadata(file: string, out: string, drop: string[] = [], rename: Record<string, string> = {}): void {
  const st = readSafetensors(fs.readFileSync(file));
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [];
  for (const [name, t] of st.tensors) {
    if (!drop.includes(name)) tensors.push([rename[name] ?? name, { shape: t.shape, data: toFloat32(t) }]);
  }
  fs.writeFileSync(out, writeSafetensors(tensors));
}

describe('safetensors', () => {
  it('writes the documented byte layout: u64 LE header length, padded JSON header, LE float32 data', () => {
    const bytes = writeSafetensors(
      [
        ['b', { shape: [2], data: new Float32Array([1.5, -2]) }],
        ['a', { shape: [1, 1], data: new Float32Array([0.25]) }],
      ],
      { note: 'hi' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0, 'header padded to 8 bytes');
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(header, {
      __metadata__: { note: 'hi' },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      a: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] },
    });
    assert.equal(bytes.length, 8 + n + 12);
    // 1.5 = 0x3FC00000, little-endian bytes 00 00 C0 3F.
    assert.deepEqual(Array.from(bytes.subarray(8 + n, 8 + n + 4)), [0x00, 0x00, 0xc0, 0x3f]);
  });

  it('reads back names, shapes, values and metadata; reads a hand-made file as PyTorch would write it', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const back = readSafetensors(writeSafetensors([['w', { shape: [2, 3], data }]], { config: '{"x":1}' }));
    assert.deepEqual(back.metadata, { config: '{"x":1}' });
    assert.deepEqual(back.tensors.get('w')!.shape, [2, 3]);
    assert.deepEqual(Array.from(toFloat32(back.tensors.get('w')!)), Array.from(data));
    // Hand-made: tensors listed out of data order, no padding, no metadata.
    const header = '{"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const buf = new Uint8Array(8 + header.length + 8);
    const view = new DataView(buf.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    buf.set(new TextEncoder().encode(header), 8);
    view.setFloat32(8 + header.length, 7, true);
    view.setFloat32(8 + header.length + 4, -1, true);
    const st = readSafetensors(buf);
    assert.deepEqual([...st.tensors.keys()], ['x', 'y']);
    assert.equal(toFloat32(st.tensors.get('y')!)[0], -1);
  });

  it('converts F16, BF16 and F64 to float32', () => {
    const mk = (dtype: 'F16' | 'BF16' | 'F64', bytes: number[]) => ({ dtype, shape: [bytes.length / (dtype === 'F64' ? 8 : 2)], data: new Uint8Array(bytes) });
    // F16: 0x3C00 = 1, 0xC000 = -2, 0x3555 = 0.333251953125.
    assert.deepEqual(Array.from(toFloat32(mk('F16', [0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35]))), [1, -2, 0.333251953125]);
    // BF16: the top half of float32: 0x3FC0 = 1.5, 0xC120 = -10.
    assert.deepEqual(Array.from(toFloat32(mk('BF16', [0xc0, 0x3f, 0x20, 0xc1]))), [1.5, -10]);
    const f64 = new Uint8Array(new Float64Array([0.5]).buffer);
    assert.deepEqual(Array.from(toFloat32(mk('F64', Array.from(f64)))), [0.5]);
  });

  it('writes float16: rounds to nearest, ties to even, saturates to infinity, flushes below 2^-25 to zero', () => {
    // Hand-derived halves: 1 = 0x3C00; 1/3 -> 0x3555 (0.33325..); 65504 = 0x7BFF (largest); 65520 is the tie
    // between 65504 and 65536 (infinity) and goes to even: 0x7C00; 2^-24 = 0x0001 (smallest subnormal); 2^-25 is
    // the tie between 0 and 2^-24: 0; 1 + 2^-11 is the tie between 1 and 1 + 2^-10: even, 1; 1 + 3 * 2^-11: 1 + 2^-9.
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [1 / 3, 0x3555], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-1e6, 0xfc00],
      [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [x, bits] of cases) assert.equal(floatToHalf(x), bits, `floatToHalf(${x})`);
    assert.ok(Number.isNaN(toFloat32({ dtype: 'F16', shape: [1], data: new Uint8Array(new Uint16Array([floatToHalf(NaN)]).buffer) })[0]));
    const data = new Float32Array([0.1, -0.7, 3.14159, 1e-3]);
    const st = readSafetensors(writeSafetensors([['w', { shape: [2, 2], data }]], { k: 'v' }, { dtype: 'F16' }));
    const w = st.tensors.get('w')!;
    assert.equal(w.dtype, 'F16');
    assert.equal(w.data.length, 8);
    const back = toFloat32(w);
    // Within half a unit in the last place of a half (11-bit significand): relative error <= 2^-11.
    data.forEach((x, i) => assert.ok(Math.abs(back[i] - x) <= Math.abs(x) * 2 ** -11, `${x} -> ${back[i]}`));
    assert.deepEqual(st.metadata, { k: 'v' });
  });

  it('refuses broken files with the reason', () => {
    const good = writeSafetensors([['w', { shape: [4], data: new Float32Array(4) }]]);
    assert.throws(() => readSafetensors(good.subarray(0, good.length - 3), 'f.st'), /f\.st: file is truncated: tensor w ends at data byte 16, but the file holds only 13 bytes/);
    assert.throws(() => readSafetensors(good.subarray(0, 20), 'f.st'), /header length \d+ is larger than the 12 bytes that follow/);
    assert.throws(() => readSafetensors(new Uint8Array(5)), /shorter than the 8-byte header length/);
    const zip = new Uint8Array(64);
    zip.set([0x50, 0x4b, 0x03, 0x04]);
    assert.throws(() => readSafetensors(zip, 'model.pt'), /model\.pt: not a safetensors file .*"PK": a zip file, such as a PyTorch torch\.save \.pt file/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    assert.throws(() => readSafetensors(longer), /4 bytes after the last tensor/);
    const text = new TextEncoder().encode('\x10\x00\x00\x00\x00\x00\x00\x00not json at all!');
    assert.throws(() => readSafetensors(text), /header is not JSON/);
    const badDtype = writeSafetensors([['w', { shape: [1], data: new Float32Array(1) }]]);
    const s = new TextDecoder().decode(badDtype).replace('"F32"', '"Q32"');
    assert.throws(() => readSafetensors(new TextEncoder().encode(s)), /tensor w: unknown dtype "Q32"/);
  });
});

describe('checkpoints', () => {
  let dir: string;
  before(async () => {
    await initBackend();
    dir = tmpDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: save then load gives the same weights, logits, config, vocabulary and extra metadata`, () => {
      const model = new GPT(tinyConfig(variant), 40);
      randomizeParams(model, 41);
      const file = path.join(dir, `${variant}.safetensors`);
      saveCheckpoint(file, model, vocab7, { step: '12' });
      const { model: back, vocab, meta } = loadCheckpoint(file);
      assert.deepEqual(back.config, model.config);
      assert.deepEqual(vocab.chars, vocab7.chars);
      assert.equal(meta.step, '12');
      assert.deepEqual(meta.config, model.config);
      assert.deepEqual(paramValues(back), paramValues(model));
      assert.deepEqual(logitsOf(back, [[1, 2, 3, 4]]), logitsOf(model, [[1, 2, 3, 4]]));
      // The tensors on disk are exactly the state_dict, in its order, nothing else.
      const st = readSafetensors(fs.readFileSync(file));
      assert.deepEqual([...st.tensors.keys()], [...model.params.keys()]);
      assert.deepEqual(JSON.parse(st.metadata.vocab), vocab7.chars);
      assert.equal(st.metadata.format, 'pt');
      // No temporary file left behind.
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('tmp')), []);
      model.dispose();
      back.dispose();
    });
  }

  it('a plain state_dict file (no metadata) loads: sizes from shapes, variant from pos_emb, vocabulary given', () => {
    const model = new GPT(tinyConfig('vanilla', { nLayer: 3, nHead: 4, blockSize: 5 }), 42);
    randomizeParams(model, 43);
    const file = path.join(dir, 'full.safetensors');
    const bare = path.join(dir, 'bare.safetensors');
    saveCheckpoint(file, model, vocab7);
    stripMetadata(file, bare);
    assert.throws(() => loadCheckpoint(bare), /has no vocabulary in its metadata .*pass opts\.vocab/);
    const { model: back } = loadCheckpoint(bare, { vocab: vocab7, expect: { nHead: 4 } });
    assert.deepEqual(back.config, { ...model.config, dropout: 0.1 });
    assert.deepEqual(logitsOf(back, [[1, 2, 3]]), logitsOf(model, [[1, 2, 3]]));
    back.dispose();
    // A rope state_dict: no pos_emb; blockSize cannot be seen in it, the course's 128 is assumed.
    const rope = new GPT(tinyConfig('rope'), 44);
    const ropeFile = path.join(dir, 'rope.safetensors');
    saveCheckpoint(ropeFile, rope, vocab7);
    stripMetadata(ropeFile, bare);
    const loaded = loadCheckpoint(bare, { vocab: vocab7, expect: { nHead: 2 } });
    assert.equal(loaded.model.config.variant, 'rope');
    assert.equal(loaded.model.config.blockSize, 128);
    assert.equal(loaded.model.config.nLayer, 2);
    loaded.model.dispose();
    rope.dispose();
    model.dispose();
  });

  it('known PyTorch buffers (attention mask, RoPE table) are skipped; any other extra tensor is an error', () => {
    const model = new GPT(tinyConfig('rope'), 45);
    const file = path.join(dir, 'm.safetensors');
    saveCheckpoint(file, model, vocab7);
    const st = readSafetensors(fs.readFileSync(file));
    const tensors: [string, { shape: number[]; data: Float32Array }][] = [...st.tensors].map(([n, t]) => [n, { shape: t.shape, data: toFloat32(t) }]);
    const withMask = path.join(dir, 'mask.safetensors');
    fs.writeFileSync(withMask, writeSafetensors([...tensors, ['blocks.0.attn.mask', { shape: [1, 1, 6, 6], data: new Float32Array(36) }]], st.metadata));
    loadWeightsInto(model, withMask);
    const withJunk = path.join(dir, 'junk.safetensors');
    fs.writeFileSync(withJunk, writeSafetensors([...tensors, ['blocks.0.attn.extra', { shape: [1], data: new Float32Array(1) }]], st.metadata));
    assert.throws(() => loadWeightsInto(model, withJunk), /unexpected tensor\(s\) not in the model: blocks\.0\.attn\.extra/);
    model.dispose();
  });

  it('mismatched checkpoints name the mismatch and leave the model untouched', () => {
    const vanilla = new GPT(tinyConfig('vanilla'), 46);
    const rope = new GPT(tinyConfig('rope'), 47);
    const vanillaFile = path.join(dir, 'v.safetensors');
    const ropeFile = path.join(dir, 'r.safetensors');
    saveCheckpoint(vanillaFile, vanilla, vocab7);
    saveCheckpoint(ropeFile, rope, vocab7);
    const before = paramValues(rope);
    assert.throws(() => loadWeightsInto(rope, vanillaFile), /checkpoint has pos_emb, model is rope/);
    assert.deepEqual(paramValues(rope), before, 'no partial load');
    assert.throws(() => loadWeightsInto(vanilla, ropeFile), /checkpoint has no pos_emb, model is vanilla/);
    assert.throws(() => loadCheckpoint(vanillaFile, { expect: { variant: 'rope' } }), /checkpoint is vanilla \(has pos_emb\), expected rope/);
    assert.throws(() => loadCheckpoint(ropeFile, { expect: { nLayer: 4 } }), /checkpoint has nLayer 2, expected 4/);
    // Another vocabulary: a different size, or the same size in another order.
    const vocab8 = Vocab.fromChars([...vocab7.chars, 'f']);
    assert.throws(() => loadCheckpoint(ropeFile, { vocab: vocab8 }), /different vocabulary than the one given: 7 characters vs 8/);
    const swapped = Vocab.fromChars([PAD_CHAR, MASK_CHAR, 'b', 'a', 'c', 'd', 'e']);
    assert.throws(() => loadCheckpoint(ropeFile, { vocab: swapped }), /id 2 is "a" vs "b"/);
    // A model of another vocabulary size or width.
    const bigger = new GPT(tinyConfig('rope', { vocabSize: 9 }), 48);
    assert.throws(() => loadWeightsInto(bigger, ropeFile), /tok_emb\.weight: checkpoint shape \[7,8\], model \[9,8\] \(vocabulary size 7 vs 9\)/);
    const wider = new GPT(tinyConfig('rope', { nEmbd: 12 }), 49);
    assert.throws(() => loadWeightsInto(wider, ropeFile), /blocks\.0\.attn\.qkv\.weight: checkpoint shape \[24,8\], model \[36,12\]/);
    const deeper = new GPT(tinyConfig('rope', { nLayer: 3 }), 50);
    assert.throws(() => loadWeightsInto(deeper, ropeFile), /missing 12 tensor\(s\): blocks\.2\.ln1\.weight/);
    for (const m of [vanilla, rope, bigger, wider, deeper]) m.dispose();
  });

  it('a truncated file, another format, or a missing file: a clear error, the previous file survives a failed save', () => {
    const model = new GPT(tinyConfig('rope'), 51);
    const file = path.join(dir, 'c.safetensors');
    saveCheckpoint(file, model, vocab7);
    const bytes = fs.readFileSync(file);
    const cut = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    assert.throws(() => loadCheckpoint(cut), /cut\.safetensors: file is truncated/);
    const pt = path.join(dir, 'model.pt');
    fs.writeFileSync(pt, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200)]));
    assert.throws(() => loadCheckpoint(pt), /model\.pt: not a safetensors file.*PyTorch torch\.save/);
    assert.throws(() => loadCheckpoint(path.join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read/);
    // A save that fails (vocabulary of the wrong size) leaves the earlier checkpoint as it was.
    assert.throws(() => saveCheckpoint(file, model, Vocab.fromChars([PAD_CHAR, MASK_CHAR])), /vocabulary has 2 characters, model\.config\.vocabSize is 7/);
    assert.deepEqual(fs.readFileSync(file), bytes);
    model.dispose();
  });
});
