import * as assert from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { MASKED, causalAttention, causalAttentionReference, causalAttentionWeights, causalMask, dropout, dropoutMask, qkvHeads, qkvHeadsReference } from '../lib/backend/ops';
import { Rng } from '../lib/util/random';
import { maxAbsDiff } from './numeric_helpers';

/** Attention written as loops over plain arrays: the definition, with no tf at all. */
function attentionByLoops(q: Float32Array, k: Float32Array, v: Float32Array, [B, H, T, D]: number[]): Float32Array {
  const out = new Float32Array(B * H * T * D);
  for (let bh = 0; bh < B * H; bh++) {
    const base = bh * T * D;
    for (let i = 0; i < T; i++) {
      const s: number[] = [];
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[base + i * D + d] * k[base + j * D + d];
        s.push(dot / Math.sqrt(D));
      }
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= i; j++) for (let d = 0; d < D; d++) out[base + i * D + d] += (e[j] / z) * v[base + j * D + d];
    }
  }
  return out;
}

function randomTensor(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tensor4d(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
}

describe('causalAttention', () => {
  before(async () => {
    await initBackend();
  });

  for (const shape of [[1, 1, 1, 4], [2, 3, 5, 4], [1, 2, 17, 8]] as [number, number, number, number][]) {
    it(`matches the loop definition on shape [${shape}] (both implementations)`, () => {
      const rng = new Rng(shape.reduce((a, b) => a * 10 + b, 0));
      const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, shape));
      const want = attentionByLoops(q.dataSync() as Float32Array, k.dataSync() as Float32Array, v.dataSync() as Float32Array, shape);
      for (const f of [causalAttention, causalAttentionReference]) {
        const y = f(q, k, v);
        assert.deepStrictEqual(y.shape, shape);
        assert.ok(maxAbsDiff(y.dataSync(), want) < 1e-5, `${f.name}: max diff ${maxAbsDiff(y.dataSync(), want)}`);
        y.dispose();
      }
      tf.dispose([q, k, v]);
    });
  }

  // Decoding: the queries are the last T of the past + T positions whose keys and values are known.
  for (const [past, T] of [[5, 1], [3, 4], [1, 16]]) {
    it(`with ${past} cached positions and ${T} new: the last ${T} rows of attention over all ${past + T} (both implementations)`, () => {
      const rng = new Rng(past * 100 + T);
      const shape: [number, number, number, number] = [2, 3, past + T, 8];
      const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, shape));
      const want = tf.tidy(() => tf.slice(causalAttentionReference(q, k, v), [0, 0, past, 0], [-1, -1, T, -1]).dataSync());
      const newQueries = tf.slice(q, [0, 0, past, 0], [-1, -1, T, -1]);
      for (const f of [causalAttention, causalAttentionReference]) {
        const y = f(newQueries, k, v, { past });
        assert.deepStrictEqual(y.shape, [2, 3, T, 8]);
        assert.ok(maxAbsDiff(y.dataSync(), want) < 1e-5, `${f.name}: max diff ${maxAbsDiff(y.dataSync(), want)}`);
        y.dispose();
      }
      assert.throws(() => causalAttention(newQueries, k, v, { past: past + 1 }), new RegExp(`k shape \\[2,3,${past + T},8\\] differs from q shape \\[2,3,${T},8\\] and ${past + 1} cached positions`));
      tf.dispose([q, k, v, newQueries]);
    });
  }

  it('the weights: rows sum to 1, MASKED keys get exactly 0, and the mask lets query i see keys up to past + i', () => {
    assert.deepStrictEqual(causalMask(2, 1).arraySync(), [[0, 0, MASKED], [0, 0, 0]]);
    const rng = new Rng(4);
    const q = randomTensor(rng, [1, 2, 3, 4]);
    const k = randomTensor(rng, [1, 2, 5, 4]);
    const w = causalAttentionWeights(q, k, { past: 2 }).arraySync() as number[][][][];
    for (const head of w[0]) {
      head.forEach((row, i) => {
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `row ${i} sums to ${row.reduce((a, b) => a + b, 0)}`);
        row.forEach((x, j) => (j > 2 + i ? assert.strictEqual(x, 0) : assert.ok(x > 0)));
      });
    }
    tf.dispose([q, k]);
  });

  it('the first query attends only to the first key: y[0] = v[0]', () => {
    const rng = new Rng(3);
    const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, [2, 2, 6, 4]));
    const y = causalAttention(q, k, v);
    const first = (t: tf.Tensor) => tf.tidy(() => t.slice([0, 0, 0, 0], [-1, -1, 1, -1]).dataSync());
    assert.ok(maxAbsDiff(first(y), first(v)) < 1e-6);
    tf.dispose([q, k, v, y]);
  });

  it('gradients equal those of the reference formula', () => {
    const rng = new Rng(11);
    const shape: [number, number, number, number] = [2, 2, 9, 8];
    const [q, k, v, w] = [0, 1, 2, 3].map(() => randomTensor(rng, shape));
    const lossOf = (f: typeof causalAttention) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D), w)) as tf.Scalar;
    const fast = tf.grads(lossOf(causalAttention))([q, k, v]);
    const ref = tf.grads(lossOf(causalAttentionReference))([q, k, v]);
    for (let i = 0; i < 3; i++) {
      assert.ok(maxAbsDiff(fast[i].dataSync(), ref[i].dataSync()) < 1e-4, `gradient ${'qkv'[i]}`);
    }
    tf.dispose([q, k, v, w, ...fast, ...ref]);
  });

  it('reference gradient matches central finite differences', () => {
    const rng = new Rng(5);
    const shape: [number, number, number, number] = [1, 1, 4, 3];
    const qv = rng.normals(12), kv = rng.normals(12), vv = rng.normals(12), wv = rng.normals(12);
    const loss = (qa: Float32Array) => tf.tidy(() =>
      tf.sum(tf.mul(causalAttentionReference(tf.tensor4d(qa, shape), tf.tensor4d(kv, shape), tf.tensor4d(vv, shape)), tf.tensor4d(wv, shape))).dataSync()[0]);
    const g = tf.tidy(() => tf.grad((q: tf.Tensor) =>
      tf.sum(tf.mul(causalAttention(q as tf.Tensor4D, tf.tensor4d(kv, shape), tf.tensor4d(vv, shape)), tf.tensor4d(wv, shape))))(tf.tensor4d(qv, shape)).dataSync());
    const eps = 1e-2;
    for (let i = 0; i < 12; i++) {
      const plus = Float32Array.from(qv), minus = Float32Array.from(qv);
      plus[i] += eps;
      minus[i] -= eps;
      const fd = (loss(plus) - loss(minus)) / (2 * eps);
      assert.ok(Math.abs(fd - g[i]) < 2e-3, `dq[${i}]: finite difference ${fd} vs gradient ${g[i]}`);
    }
  });

  it('dropout: off when not training, reproducible with a seed, and needs a seed', () => {
    const rng = new Rng(8);
    const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, [1, 2, 8, 4]));
    const plain = causalAttention(q, k, v).dataSync();
    const evalMode = causalAttention(q, k, v, { dropout: 0.5, seed: 1, training: false }).dataSync();
    assert.strictEqual(maxAbsDiff(plain, evalMode), 0);
    const a = causalAttention(q, k, v, { dropout: 0.5, seed: 42, training: true }).dataSync();
    const b = causalAttention(q, k, v, { dropout: 0.5, seed: 42, training: true }).dataSync();
    assert.strictEqual(maxAbsDiff(a, b), 0);
    assert.ok(maxAbsDiff(a, plain) > 1e-3, 'dropout changed nothing');
    assert.throws(() => causalAttention(q, k, v, { dropout: 0.1, training: true }), /seed/);
    assert.throws(() => causalAttention(q, k, v, { dropout: 1.5, seed: 1, training: true }), /dropout must be in \[0, 1\)/);
    tf.dispose([q, k, v]);
  });

  it('rejects mismatched shapes with a message naming the operand', () => {
    const q = tf.zeros([1, 2, 4, 8]) as tf.Tensor4D;
    const k = tf.zeros([1, 2, 5, 8]) as tf.Tensor4D;
    assert.throws(() => causalAttention(q, k, q), /k shape \[1,2,5,8\] differs from q/);
    assert.throws(() => causalAttention(q, q, k), /v shape/);
    tf.dispose([q, k]);
  });

  it('leaks no tensors', () => {
    const rng = new Rng(1);
    const [q, k, v] = [0, 1, 2].map(() => randomTensor(rng, [1, 2, 8, 4]));
    const before = tf.memory().numTensors;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D)) as tf.Scalar)([q, k, v]);
    tf.dispose(g);
    tf.dispose(causalAttention(q, k, v, { dropout: 0.2, seed: 3, training: true }));
    assert.strictEqual(tf.memory().numTensors, before);
    tf.dispose([q, k, v]);
  });
});

describe('qkvHeads', () => {
  before(async () => {
    await initBackend();
  });

  it('gives the heads of the plain Linear-then-split, values and gradients, in the [q_h | k_h | v_h] layout', () => {
    const rng = new Rng(21);
    const [B, T, C, H] = [2, 5, 12, 3];
    const x = tf.tensor3d(rng.normals(B * T * C), [B, T, C]);
    const w = tf.tensor2d(rng.normals(3 * C * C), [3 * C, C]);
    const b = tf.tensor1d(rng.normals(3 * C));
    const fast = qkvHeads(x, w, b, H);
    const ref = qkvHeadsReference(x, w, b, H);
    fast.forEach((t, i) => {
      assert.deepStrictEqual(t.shape, [B, H, T, C / H]);
      assert.ok(maxAbsDiff(t.dataSync(), ref[i].dataSync()) < 1e-5, `${'qkv'[i]}: max diff ${maxAbsDiff(t.dataSync(), ref[i].dataSync())}`);
    });
    // By hand: head 1's key at (batch 1, time 2) is rows 3D + D .. 3D + 2D - 1 of x W^T + b there (D = 4).
    const xv = x.arraySync()[1][2], wv = w.arraySync(), bv = b.arraySync();
    const want = Array.from({ length: 4 }, (_, j) => bv[16 + j] + xv.reduce((a, e, i) => a + wv[16 + j][i] * e, 0));
    assert.ok(maxAbsDiff(Float32Array.from((fast[1].arraySync() as number[][][][])[1][1][2]), want) < 1e-5);
    const lossOf = (f: typeof qkvHeads) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.addN(f(xx as tf.Tensor3D, ww, bb, H).map((t, i) => tf.sum(tf.mul(t, i + 1)))) as tf.Scalar;
    const gFast = tf.grads(lossOf(qkvHeads))([x, w, b]);
    const gRef = tf.grads(lossOf(qkvHeadsReference))([x, w, b]);
    gFast.forEach((g, i) => assert.ok(maxAbsDiff(g.dataSync(), gRef[i].dataSync()) < 1e-4, `gradient ${['x', 'weight', 'bias'][i]}`));
    assert.throws(() => qkvHeads(x, w, b, 5), /nHead must divide the width 12, got 5/);
    assert.throws(() => qkvHeads(x, tf.zeros([C, C]), b, H), /weight must be \[36, 12\], got \[12,12\]/);
    tf.dispose([x, w, b, ...fast, ...ref, ...gFast, ...gRef]);
  });
});

describe('dropout', () => {
  before(async () => {
    await initBackend();
  });

  it('zeroes a `rate` fraction and scales the rest by exactly 1 / (1 - rate)', () => {
    for (const rate of [0.1, 0.5]) {
      const m = dropoutMask([200, 500], rate, 123);
      const v = m.dataSync();
      const keep = Math.fround(1 / (1 - rate));
      let zeros = 0;
      for (const x of v) {
        if (x === 0) zeros++;
        else assert.strictEqual(x, keep);
      }
      // 100000 Bernoulli draws: the standard deviation of the fraction is below 0.0016.
      assert.ok(Math.abs(zeros / v.length - rate) < 0.01, `rate ${rate}: zero fraction ${zeros / v.length}`);
      m.dispose();
    }
  });

  it('the same seed gives the same mask, another seed another one; rate 0 is the identity', () => {
    const x = tf.ones([64, 64]);
    const a = dropout(x, 0.3, 9).dataSync(), b = dropout(x, 0.3, 9).dataSync(), c = dropout(x, 0.3, 10).dataSync();
    assert.deepStrictEqual(Array.from(a), Array.from(b));
    assert.ok(a.some((v, i) => v !== c[i]));
    assert.strictEqual(dropout(x, 0, 1), x);
    assert.throws(() => dropout(x, 1, 1), /rate must be in \[0, 1\)/);
    x.dispose();
  });

  it('its gradient is the mask, and it leaks no tensors', () => {
    const rng = new Rng(4);
    const x = tf.tensor2d(rng.normals(300), [10, 30]);
    const before = tf.memory().numTensors;
    const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.25, 77)))(x);
    const m = dropoutMask([10, 30], 0.25, 77);
    assert.deepStrictEqual(Array.from(g.dataSync()), Array.from(m.dataSync()));
    tf.dispose([g, m]);
    assert.strictEqual(tf.memory().numTensors, before);
    x.dispose();
  });
});
