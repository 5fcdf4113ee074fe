/**
 * Graded tests: sinusoidal encoding, learned encoding, RoPE.
 * Each `it` title starts with the points it is worth; each top-level describe is one part.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { similarityToRow, sinusoidalEncoding } from '../../lib/positional/sinusoidal';
import { LearnedPositionalEncoding } from '../../lib/positional/learned';
import { trainPreviousToken } from '../../lib/positional/toy_task';
import { applyRope, applyRopeByMatrix, ropeFrequencies, ropeRotationMatrix, rotateAsComplex, rotateByMatrix } from '../../lib/positional/rope';
import { Rng } from '../../lib/util/random';

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `${what}[${i}]: got ${a}, expected ${expected[i]} (tol ${tol})`));
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

describe('part: sinusoidal encoding', () => {
  it('[2 pts] table entries match a hand computation (d = 4: frequencies 1 and 1/100)', () => {
    // d = 4: i = 0 divides by 10000^0 = 1, i = 1 by 10000^(2/4) = 100.
    const pe = sinusoidalEncoding(3, 4);
    assert.equal(pe.length, 3);
    assertClose(pe[0], [0, 1, 0, 1], 0, 'PE(0)');
    assertClose(pe[1], [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)], 1e-12, 'PE(1)');
    assertClose(pe[2], [Math.sin(2), Math.cos(2), Math.sin(0.02), Math.cos(0.02)], 1e-12, 'PE(2)');
  });

  it('[1 pts] odd dimensions end with a sine column; bad sizes give errors naming the parameter', () => {
    const pe = sinusoidalEncoding(2, 3);
    // d = 3: column 2 is i = 1, divided by 10000^(2/3).
    assertClose(pe[1], [Math.sin(1), Math.cos(1), Math.sin(1 / Math.pow(10000, 2 / 3))], 1e-12, 'PE(1), d = 3');
    assert.throws(() => sinusoidalEncoding(0, 4), /T \(number of positions\) must be a positive integer, got 0/);
    assert.throws(() => sinusoidalEncoding(4, 2.5), /d \(encoding dimension\) must be a positive integer, got 2.5/);
  });

  it('[2 pts] PE(t) . PE(t + k) = sum_i cos(k w_i) depends on the offset k only', () => {
    // sin a sin b + cos a cos b = cos(b - a) for each pair of columns.
    const d = 16;
    const pe = sinusoidalEncoding(64, d);
    const w = Array.from({ length: d / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / d));
    for (const k of [0, 1, 3, 10]) {
      const expected = w.reduce((s, wi) => s + Math.cos(k * wi), 0);
      for (const t of [0, 5, 40]) assert.ok(Math.abs(dot(pe[t], pe[t + k]) - expected) < 1e-9, `t=${t}, k=${k}`);
    }
  });

  it('[1 pts] similarity to a position falls off with distance nearby', () => {
    // Every row has norm^2 = d/2, so the cosine similarity is (2/d) sum_i cos(k w_i), which decreases while
    // k w_i < pi for every i, i.e. for k <= 3 (w_0 = 1). Further away the fastest clock comes round again.
    const sim = similarityToRow(sinusoidalEncoding(40, 32), 20);
    assert.ok(Math.abs(sim[20] - 1) < 1e-12);
    for (let k = 1; k <= 3; k++) {
      assert.ok(sim[20 + k] < sim[20 + k - 1], `sim(20, ${20 + k}) should be below sim(20, ${20 + k - 1})`);
      assert.ok(Math.abs(sim[20 + k] - sim[20 - k]) < 1e-9, 'symmetric in the offset');
    }
  });
});

describe('part: learned encoding', () => {
  before(async () => {
    await initBackend();
  });

  it('[1 pts] the table is trainable, seeded, added by position, and limited to its length', () => {
    const a = new LearnedPositionalEncoding(5, 3, 42);
    const b = new LearnedPositionalEncoding(5, 3, 42);
    assert.equal(a.table.trainable, true);
    assert.deepEqual(a.table.arraySync(), b.table.arraySync());
    const x = tf.ones([2, 4, 3]) as tf.Tensor3D;
    const y = a.apply(x);
    const table = a.table.arraySync();
    const yv = y.arraySync();
    for (let n = 0; n < 2; n++) for (let t = 0; t < 4; t++) assertClose(yv[n][t], table[t].map((v) => v + 1), 1e-6, `y[${n}][${t}]`);
    assert.throws(() => a.encodings(6), /sequence length 6 is outside 1..5/);
    assert.throws(() => a.apply(tf.ones([4, 2]) as tf.Tensor2D), /input has d=2, the table has d=3/);
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });

  it('[2 pts] gradients reach exactly the rows of the positions used', () => {
    // loss = sum_t,j (x + P)[t, j] M[t, j] over T = 3 of 5 rows: dloss/dP = M on rows 0..2, 0 on rows 3..4.
    const pe = new LearnedPositionalEncoding(5, 2, 1);
    const M = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    const { grads, value } = tf.variableGrads(() => pe.apply(x).mul(M).sum() as tf.Scalar, [pe.table]);
    assert.deepEqual(grads[pe.table.name].arraySync(), [[1, 2], [3, 4], [5, 6], [0, 0], [0, 0]]);
    tf.dispose([M, x, value, grads[pe.table.name]]);
    pe.dispose();
  });
  it('[1 pts] with learned positions one attention layer learns "repeat the previous token"; without, it cannot', () => {
    // Without positions the output at t cannot tell which token came just before (permutation equivariance).
    const before = tf.memory().numTensors;
    const none = trainPreviousToken({ positions: 'none', seed: 3, steps: 120 });
    const learned = trainPreviousToken({ positions: 'learned', seed: 3, steps: 120 });
    assert.ok(learned.accuracy > 0.95, `accuracy with learned positions: ${learned.accuracy}`);
    assert.ok(none.accuracy < 0.6, `accuracy without positions: ${none.accuracy}`);
    assert.equal(learned.table?.length, 8, 'the trained table has one row per position');
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });
});

describe('part: RoPE', () => {
  before(async () => {
    await initBackend();
  });

  it('[2 pts] rotations match a hand computation', () => {
    // d = 2: theta_0 = 1, so position t turns (1, 0) to (cos t, sin t).
    assertClose(rotateAsComplex([1, 0], 1), [Math.cos(1), Math.sin(1)], 1e-12, 'd = 2, t = 1');
    // d = 4: theta = (1, 10000^(-1/2) = 1/100). (1 + 2i) e^(2i) and (3 + 4i) e^(0.02 i).
    assertClose(ropeFrequencies(4), [1, 0.01], 1e-15, 'theta');
    const [c2, s2, c, s] = [Math.cos(2), Math.sin(2), Math.cos(0.02), Math.sin(0.02)];
    const expected = [1 * c2 - 2 * s2, 1 * s2 + 2 * c2, 3 * c - 4 * s, 3 * s + 4 * c];
    assertClose(rotateAsComplex([1, 2, 3, 4], 2), expected, 1e-12, 'complex form');
    assertClose(rotateByMatrix([1, 2, 3, 4], 2), expected, 1e-12, 'matrix form');
    assertClose(rotateAsComplex([1, 2, 3, 4], 0), [1, 2, 3, 4], 0, 'position 0');
  });

  it('[2 pts] the rotation matrix is block diagonal and orthogonal; both forms agree', () => {
    const d = 8;
    const R = ropeRotationMatrix(7, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (Math.floor(i / 2) !== Math.floor(j / 2)) assert.equal(R[i][j], 0, `R[${i}][${j}] is outside the 2x2 blocks`);
        const rtr = R.reduce((s, row) => s + row[i] * row[j], 0); // (R^T R)[i][j]
        assert.ok(Math.abs(rtr - (i === j ? 1 : 0)) < 1e-12, `(R^T R)[${i}][${j}] = ${rtr}`);
      }
    }
    const rng = new Rng(8);
    for (const t of [0, 1, 13, 500]) {
      const x = Array.from(rng.normals(d));
      assertClose(rotateByMatrix(x, t), rotateAsComplex(x, t), 1e-12, `t=${t}`);
    }
  });

  it('[2 pts] applyRope on (batch, heads, time, head_dim) agrees with the matrix form and each vector, with offset', () => {
    const before = tf.memory().numTensors;
    const [B, H, T, d] = [2, 3, 5, 8];
    const rng = new Rng(3);
    const data = rng.normals(B * H * T * d);
    const x = tf.tensor4d(data, [B, H, T, d]);
    const offset = 4;
    const fast = applyRope(x, { offset });
    const slow = applyRopeByMatrix(x, { offset });
    const fv = fast.dataSync();
    assertClose(Array.from(fv), Array.from(slow.dataSync()), 1e-5, 'complex vs matrix form');
    for (const [b, h, t] of [[0, 0, 0], [1, 2, 4], [0, 1, 3]]) {
      const at = ((b * H + h) * T + t) * d;
      assertClose(Array.from(fv.slice(at, at + d)), rotateAsComplex(Array.from(data.slice(at, at + d)), offset + t), 1e-5, `x[${b}, ${h}, ${t}]`);
    }
    tf.dispose([x, fast, slow]);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });

  it('[2 pts] the score <RoPE(q, m), RoPE(k, n)> depends on m - n only', () => {
    const rng = new Rng(5);
    const d = 16;
    const q = Array.from(rng.normals(d));
    const k = Array.from(rng.normals(d));
    const score = (m: number, n: number): number => dot(rotateAsComplex(q, m), rotateAsComplex(k, n));
    for (const [m, n] of [[3, 1], [10, 2], [0, 5]]) {
      for (const shift of [1, 7, 100]) assert.ok(Math.abs(score(m + shift, n + shift) - score(m, n)) < 1e-9, `(${m}, ${n}) shifted by ${shift}`);
    }
    assert.ok(Math.abs(score(3, 1) - score(4, 1)) > 1e-3, 'a different offset changes the score');
    // The same through the tensor path: every (query position, key position) pair on one diagonal scores alike.
    const T = 6;
    const qs = tf.tensor4d(Array.from({ length: T }, () => q).flat(), [1, 1, T, d]);
    const ks = tf.tensor4d(Array.from({ length: T }, () => k).flat(), [1, 1, T, d]);
    const S = tf.tidy(() => (applyRope(qs).matMul(applyRope(ks), false, true).arraySync() as number[][][][])[0][0]);
    for (let m = 1; m < T; m++) for (let n = 1; n < T; n++) assert.ok(Math.abs(S[m][n] - S[m - 1][n - 1]) < 1e-4, `S[${m}][${n}] vs S[${m - 1}][${n - 1}]`);
    tf.dispose([qs, ks]);
  });

  it('[0 pts] wrong shapes, odd head_dim and bad options give errors saying what was expected (provided code)', () => {
    const odd = tf.zeros([1, 2, 3, 5]) as tf.Tensor4D;
    const rank3 = tf.zeros([2, 3, 4]);
    assert.throws(() => applyRope(odd), /head_dim must be a positive even number.*got 5/);
    assert.throws(() => applyRope(rank3 as unknown as tf.Tensor4D), /expected a 4-D tensor of shape \(batch, heads, time, head_dim\), got shape \[2, 3, 4\]/);
    const ok = tf.zeros([1, 1, 2, 4]) as tf.Tensor4D;
    assert.throws(() => applyRope(ok, { offset: -1 }), /offset must be a non-negative integer, got -1/);
    assert.throws(() => applyRope(ok, { base: 0 }), /base must be a positive number, got 0/);
    assert.throws(() => rotateAsComplex([1, 2, 3], 1), /head_dim must be a positive even number.*got 3/);
    tf.dispose([odd, rank3, ok]);
  });

  it('[1 pts] applyRope is differentiable: the gradient of sum(RoPE(x) * w) is R_t^T w', () => {
    const [T, d] = [3, 4];
    const rng = new Rng(6);
    const x = tf.tensor4d(rng.normals(T * d), [1, 1, T, d]);
    const wData = rng.normals(T * d);
    const w = tf.tensor4d(wData, [1, 1, T, d]);
    const g = tf.grad((v: tf.Tensor) => applyRope(v as tf.Tensor4D, { offset: 2 }).mul(w).sum())(x);
    const gv = g.dataSync();
    for (let t = 0; t < T; t++) {
      const R = ropeRotationMatrix(2 + t, d);
      const wt = Array.from(wData.slice(t * d, (t + 1) * d));
      const expected = R[0].map((_, col) => R.reduce((s, row, i) => s + row[col] * wt[i], 0)); // (R^T w)[col]
      assertClose(Array.from(gv.slice(t * d, (t + 1) * d)), expected, 1e-5, `gradient at t=${t}`);
    }
    tf.dispose([x, w, g]);
  });
});
