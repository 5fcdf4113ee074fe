import * as assert from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import { backendHelp, describeBackend, describeSession, initBackend, parseBackendName } from '../lib/backend';
import { wasmFixesInstalled } from '../lib/backend/wasm_fixes';
import { Rng } from '../lib/util/random';
import { ToyGPT, randomBatch, trainStep } from '../bench/toy_gpt';
import { maxAbsDiff } from './numeric_helpers';

/** C = op(A) op(B) by loops, op = transpose when the flag is set; A, B row-major. */
function matMulByLoops(a: Float32Array, aShape: [number, number], b: Float32Array, bShape: [number, number], ta: boolean, tb: boolean): Float32Array {
  const [m, k] = ta ? [aShape[1], aShape[0]] : aShape;
  const n = tb ? bShape[0] : bShape[1];
  const A = (i: number, p: number) => (ta ? a[p * aShape[1] + i] : a[i * aShape[1] + p]);
  const B = (p: number, j: number) => (tb ? b[j * bShape[1] + p] : b[p * bShape[1] + j]);
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
    out[i * n + j] = s;
  }
  return out;
}

/** Row-major transpose of an (r, c) matrix. */
function transposed(x: Float32Array, [r, c]: [number, number]): Float32Array {
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
  return out;
}

describe('backend', () => {
  before(async () => {
    await initBackend();
  });

  it('runs on the wasm backend by default, with the fixes installed', function () {
    if (process.env.TFJS_BACKEND && process.env.TFJS_BACKEND !== 'wasm') this.skip();
    assert.strictEqual(tf.getBackend(), 'wasm');
    assert.ok(wasmFixesInstalled());
  });

  it('parseBackendName accepts the three names and rejects others by name', () => {
    assert.strictEqual(parseBackendName(' WASM '), 'wasm');
    assert.throws(() => parseBackendName('gpu', 'MY_VAR'), /MY_VAR="gpu" is not a backend: use one of tensorflow, wasm, cpu/);
  });

  it('describeBackend names the version and the backend', () => {
    assert.match(describeBackend({ name: 'wasm', reason: 'first choice', tfjsVersion: '4.22.0' }), /^tfjs 4\.22\.0 on backend "wasm"(, \d threads)?, matMul on (OpenBLAS [\d.]+( \(\w+ kernels(, chosen from the CPU's flags)?\))?, \d+ threads?|XNNPACK.*) \(first choice\)$/);
  });

  it("describeSession is one short line: backend, matMul engine, this checkout; backendHelp holds the reasons", () => {
    const root = path.resolve(__dirname, '..');
    assert.equal(describeSession({ name: 'cpu', reason: 'requested', tfjsVersion: '4.22.0' }), `tfjs cpu · matMul in plain JavaScript · checkout ${root}`);
    const wasm = { name: 'wasm' as const, reason: 'first choice', tfjsVersion: '4.22.0' };
    const line = describeSession(wasm);
    assert.match(line, /^tfjs wasm · matMul on (OpenBLAS [\d.]+( \(\w+ kernels\))?|XNNPACK \((OpenBLAS not loaded: backendHelp\(\) says why|OpenBLAS switched off)\)) · checkout /);
    assert.ok(line.endsWith(`· checkout ${root}`) && !line.includes('\n'), line);
    const help = backendHelp(wasm);
    assert.match(help, /^tfjs 4\.22\.0, backend "wasm" \(first choice\)\./);
    assert.match(help, /Matrix products: matMul on (OpenBLAS|XNNPACK)/);
  });

  it('gradient of an embedding lookup (tf.gather) sums the upstream rows per id', () => {
    const rng = new Rng(1);
    const [V, C] = [7, 5];
    const ids = [3, 0, 3, 6, 3, 1];
    const table = tf.tensor2d(rng.normals(V * C), [V, C]);
    const up = rng.normals(ids.length * C);
    const g = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, tf.tensor1d(ids, 'int32')), tf.tensor2d(up, [ids.length, C]))))(table);
    const want = new Float32Array(V * C);
    ids.forEach((id, r) => { for (let c = 0; c < C; c++) want[id * C + c] += up[r * C + c]; });
    assert.ok(maxAbsDiff(g.dataSync(), want) < 1e-6);
    // A (B, T) id matrix, as in a language model, gives the same as its flattened form.
    const ids2 = tf.tensor2d(ids, [2, 3], 'int32');
    const g2 = tf.grad((w: tf.Tensor) => tf.sum(tf.mul(tf.gather(w, ids2), tf.tensor3d(up, [2, 3, C]))))(table);
    assert.ok(maxAbsDiff(g2.dataSync(), want) < 1e-6);
    tf.dispose([table, g, ids2, g2]);
  });

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matMul(transposeA=${ta}, transposeB=${tb}): values and both gradients match loops`, () => {
      const rng = new Rng(ta ? (tb ? 4 : 3) : tb ? 2 : 1);
      const [m, k, n] = [6, 9, 4];
      const aShape: [number, number] = ta ? [k, m] : [m, k];
      const bShape: [number, number] = tb ? [n, k] : [k, n];
      const av = rng.normals(m * k), bv = rng.normals(k * n), gv = rng.normals(m * n);
      const a = tf.tensor2d(av, aShape), b = tf.tensor2d(bv, bShape), g = tf.tensor2d(gv, [m, n]);
      const c = tf.matMul(a, b, ta, tb);
      assert.ok(maxAbsDiff(c.dataSync(), matMulByLoops(av, aShape, bv, bShape, ta, tb)) < 1e-5);
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), g)))([a, b]);
      // L = sum(G * op(A) op(B)): dop(A) = G op(B)^T, dop(B) = op(A)^T G; transposed back where op transposes.
      const opA = ta ? transposed(av, aShape) : av; // (m, k)
      const opB = tb ? transposed(bv, bShape) : bv; // (k, n)
      const dOpA = matMulByLoops(gv, [m, n], opB, [k, n], false, true); // (m, k)
      const dOpB = matMulByLoops(opA, [m, k], gv, [m, n], true, false); // (k, n)
      const wantA = ta ? transposed(dOpA, [m, k]) : dOpA;
      const wantB = tb ? transposed(dOpB, [k, n]) : dOpB;
      assert.ok(maxAbsDiff(da.dataSync(), wantA) < 1e-4, 'dA');
      assert.ok(maxAbsDiff(db.dataSync(), wantB) < 1e-4, 'dB');
      tf.dispose([a, b, g, c, da, db]);
    });
  }

  it('batched matMul with transpose flags (rank 4, as in attention) matches per-slice 2-D products', () => {
    const rng = new Rng(9);
    const [B, H, T, D] = [2, 3, 5, 4];
    const q = tf.tensor4d(rng.normals(B * H * T * D), [B, H, T, D]);
    const k = tf.tensor4d(rng.normals(B * H * T * D), [B, H, T, D]);
    const s = tf.matMul(q, k, false, true).dataSync();
    const st = tf.matMul(q, k, true, false).dataSync(); // (B, H, D, D)
    const qv = q.dataSync() as Float32Array, kv = k.dataSync() as Float32Array;
    for (let bh = 0; bh < B * H; bh++) {
      const qs = qv.subarray(bh * T * D, (bh + 1) * T * D), ks = kv.subarray(bh * T * D, (bh + 1) * T * D);
      assert.ok(maxAbsDiff(s.subarray(bh * T * T, (bh + 1) * T * T), matMulByLoops(qs, [T, D], ks, [T, D], false, true)) < 1e-5);
      assert.ok(maxAbsDiff(st.subarray(bh * D * D, (bh + 1) * D * D), matMulByLoops(qs, [T, D], ks, [T, D], true, false)) < 1e-5);
    }
    tf.dispose([q, k]);
  });

  it('a 2-layer toy GPT (embedding, causal attention, MLP) trains on this backend: loss falls, no tensor leaks', () => {
    const model = new ToyGPT({ vocabSize: 12, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32 }, 7);
    const opt = tf.train.adam(1e-2);
    // A learnable task: the next token is the current one plus one (mod 11, ids 1..11).
    const B = 8, T = 16;
    const xs = new Int32Array(B * T), ys = new Int32Array(B * T);
    const rng = new Rng(5);
    for (let b = 0; b < B; b++) {
      let t0 = rng.int(1, 11);
      for (let t = 0; t < T; t++) {
        xs[b * T + t] = t0;
        ys[b * T + t] = (t0 % 11) + 1;
        t0 = ys[b * T + t];
      }
    }
    const x = tf.tensor2d(xs, [B, T], 'int32'), y = tf.tensor2d(ys, [B, T], 'int32');
    const first = trainStep(model, opt, x, y);
    const countAfterOne = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 14; i++) last = trainStep(model, opt, x, y);
    assert.ok(Math.abs(first - Math.log(11)) < 0.5, `initial loss ${first} should be near ln(11)`);
    assert.ok(last < 0.6 * first, `loss did not fall enough: ${first} -> ${last}`);
    assert.strictEqual(tf.memory().numTensors, countAfterOne, 'tensor count grew between steps');
    tf.dispose([x, y, ...model.params]);
    opt.dispose();
  });

  it('randomBatch leaves PAD (0) only in a trailing tail', () => {
    const { x, y } = randomBatch(new Rng(3), 4, 32, 50, 0.5);
    const yv = y.dataSync();
    for (let b = 0; b < 4; b++) {
      const row = Array.from(yv.subarray(b * 32, (b + 1) * 32));
      const firstPad = row.indexOf(0);
      if (firstPad >= 0) assert.ok(row.slice(firstPad).every((v) => v === 0));
    }
    tf.dispose([x, y]);
  });
});
