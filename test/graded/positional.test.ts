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

import { diagnose, expectClose, expectThat, expectThrows, Mistake, num, show } from './check';

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

/** The sinusoidal table computed with a mistake: sin/cos swapped, or the column index in the exponent. */
function sinusoidByHand(T: number, d: number, mistake?: 'swapped' | 'column-exponent'): number[][] {
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: d }, (_, col) => {
      const i = mistake === 'column-exponent' ? col : Math.floor(col / 2);
      const angle = t / Math.pow(10000, (2 * i) / d);
      const even = col % 2 === 0;
      return (mistake === 'swapped' ? !even : even) ? Math.sin(angle) : Math.cos(angle);
    }),
  );
}

function sinusoidMistakes(T: number, d: number): Mistake[] {
  return [
    { value: sinusoidByHand(T, d, 'swapped'), hint: 'sine and cosine are swapped: even columns 2i hold sin, odd columns 2i+1 hold cos.' },
    { value: sinusoidByHand(T, d, 'column-exponent'), hint: 'the exponent uses the column index: columns 2i and 2i+1 share the frequency 1 / 10000^(2i/d), with i the pair index.' },
  ];
}

interface RopeVariant {
  /** +1 the right way round (counter-clockwise, z e^{+i t theta}), -1 the other. */
  sense: 1 | -1;
  /** Which coordinates form pair j: neighbours (2j, 2j+1), or halves (j, j + d/2) as in GPT-NeoX/LLaMA code. */
  layout: 'neighbours' | 'halves';
  /** 0: theta_j = 10000^(-2j/d) for j = 0..d/2-1; 1: the exponents shifted by one pair. */
  shift: 0 | 1;
}

/** RoPE of x at position t computed by hand, right (the default) or in one of the usual wrong ways. */
function ropeByHand(x: readonly number[], t: number, v: RopeVariant = { sense: 1, layout: 'neighbours', shift: 0 }): number[] {
  const d = x.length;
  const out = [...x];
  for (let j = 0; j < d / 2; j++) {
    const angle = v.sense * t * Math.pow(10000, (-2 * (j + v.shift)) / d);
    const [a, b] = v.layout === 'neighbours' ? [2 * j, 2 * j + 1] : [j, j + d / 2];
    out[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
    out[b] = x[a] * Math.sin(angle) + x[b] * Math.cos(angle);
  }
  return out;
}

const ROPE_MISTAKES: [RopeVariant, string][] = [
  [{ sense: -1, layout: 'neighbours', shift: 0 }, 'this is the rotation by -t theta_j: your rotation turns the wrong way. Pair j, read as z = x[2j] + i x[2j+1], is multiplied by e^(+i t theta_j): out[2j] = x[2j] cos - x[2j+1] sin, out[2j+1] = x[2j] sin + x[2j+1] cos.'],
  [{ sense: 1, layout: 'halves', shift: 0 }, 'this rotates the pairs (x[j], x[j + d/2]), the "rotate half" layout of GPT-NeoX and LLaMA code; here, as in the course, pair j is the neighbours (x[2j], x[2j+1]).'],
  [{ sense: -1, layout: 'halves', shift: 0 }, 'this rotates the pairs (x[j], x[j + d/2]) and turns the wrong way: pair j is (x[2j], x[2j+1]), turned by +t theta_j.'],
  [{ sense: 1, layout: 'neighbours', shift: 1 }, 'the frequencies are off by one pair: theta_j = 10000^(-2j/d) for j = 0 .. d/2 - 1, so the first pair turns by t radians (theta_0 = 1).'],
];

function ropeMistakes(x: readonly number[], t: number): Mistake[] {
  return ROPE_MISTAKES.map(([v, hint]) => ({ value: ropeByHand(x, t, v), hint }));
}

/** R_t column by column: the rotation of each basis vector. */
function ropeMatrixByHand(t: number, d: number, v?: RopeVariant): number[][] {
  const cols = Array.from({ length: d }, (_, k) => ropeByHand(Array.from({ length: d }, (_, i) => (i === k ? 1 : 0)), t, v));
  return Array.from({ length: d }, (_, i) => cols.map((c) => c[i]));
}

function ropeMatrixMistakes(t: number, d: number): Mistake[] {
  return ROPE_MISTAKES.map(([v, hint]) => ({ value: ropeMatrixByHand(t, d, v), hint }));
}

describe('part: sinusoidal encoding', () => {
  it('[2 pts] table entries match a hand computation (d = 4: frequencies 1 and 1/100)', () => {
    // d = 4: i = 0 divides by 10000^0 = 1, i = 1 by 10000^(2/4) = 100.
    const pe = sinusoidalEncoding(3, 4);
    expectClose(pe, [
      [0, 1, 0, 1],
      [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)],
      [Math.sin(2), Math.cos(2), Math.sin(0.02), Math.cos(0.02)],
    ], { call: 'sinusoidalEncoding(T = 3, d = 4)', tol: 1e-12, mistakes: sinusoidMistakes(3, 4) });
  });

  it('[1 pts] odd dimensions end with a sine column; bad sizes give errors naming the parameter', () => {
    const pe = sinusoidalEncoding(2, 3);
    // d = 3: column 2 is i = 1, divided by 10000^(2/3).
    expectClose(pe[1], [Math.sin(1), Math.cos(1), Math.sin(1 / Math.pow(10000, 2 / 3))], { call: 'sinusoidalEncoding(T = 2, d = 3)[1]', tol: 1e-12, mistakes: sinusoidMistakes(2, 3).map((m) => ({ ...m, value: (m.value as number[][])[1] })) });
    expectThrows(() => sinusoidalEncoding(0, 4), /T \(number of positions\) must be a positive integer, got 0/, { call: 'sinusoidalEncoding(0, 4)' });
    expectThrows(() => sinusoidalEncoding(4, 2.5), /d \(encoding dimension\) must be a positive integer, got 2.5/, { call: 'sinusoidalEncoding(4, 2.5)' });
  });

  it('[2 pts] PE(t) . PE(t + k) = sum_i cos(k w_i) depends on the offset k only', () => {
    // sin a sin b + cos a cos b = cos(b - a) for each pair of columns.
    const d = 16;
    const pe = sinusoidalEncoding(64, d);
    const w = Array.from({ length: d / 2 }, (_, i) => 1 / Math.pow(10000, (2 * i) / d));
    for (const k of [0, 1, 3, 10]) {
      const expected = w.reduce((s, wi) => s + Math.cos(k * wi), 0);
      const got = [0, 5, 40].map((t) => dot(pe[t], pe[t + k]));
      expectClose(got, [expected, expected, expected], { call: `PE(t) . PE(t + ${k}) for t = 0, 5, 40 (sinusoidalEncoding(64, 16))`, tol: 1e-9 });
    }
  });

  it('[1 pts] similarity to a position falls off with distance nearby', () => {
    // Every row has norm^2 = d/2, so the cosine similarity is (2/d) sum_i cos(k w_i), which decreases while
    // k w_i < pi for every i, i.e. for k <= 3 (w_0 = 1). Further away the fastest clock comes round again.
    const sim = similarityToRow(sinusoidalEncoding(40, 32), 20);
    const near = sim.slice(17, 24);
    const call = 'similarityToRow(sinusoidalEncoding(40, 32), 20) at positions 17 .. 23';
    expectThat(Math.abs(sim[20] - 1) < 1e-12, { call, expected: 'similarity 1 at position 20 itself', got: show(near) });
    for (let k = 1; k <= 3; k++) {
      expectThat(sim[20 + k] < sim[20 + k - 1] && Math.abs(sim[20 + k] - sim[20 - k]) < 1e-9, { call, expected: 'values falling away from position 20, the same on both sides', got: show(near) });
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
    const expected = [0, 1].map(() => table.slice(0, 4).map((row) => row.map((v) => v + 1)));
    expectClose(y.arraySync(), expected, {
      call: 'new LearnedPositionalEncoding(5, 3, 42).apply(ones of shape [2, 4, 3])',
      tol: 1e-6,
      mistakes: [{ value: [0, 1].map((n) => [0, 1, 2, 3].map(() => table[n].map((v) => v + 1))), hint: 'row n of the table is added to batch element n: add row t to position t, the same for every batch element.' }],
      hint: 'position t gets row t of the table (rows 0 .. T-1 for a sequence of length T), the same for every batch element.',
    });
    expectThrows(() => a.encodings(6), /sequence length 6 is outside 1..5/, { call: 'encodings(6) on a table of 5 positions' });
    expectThrows(() => a.apply(tf.ones([4, 2]) as tf.Tensor2D), /input has d=2, the table has d=3/, { call: 'apply(ones of shape [4, 2]) on a table with d = 3' });
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
    expectClose(grads[pe.table.name].arraySync(), [[1, 2], [3, 4], [5, 6], [0, 0], [0, 0]], {
      call: 'gradient of sum(apply(zeros [3, 2]) * M) with respect to the table (5 x 2), M = [[1, 2], [3, 4], [5, 6]]',
      tol: 0,
      hint: 'take the rows with tensor ops on the table variable (slice), so that the gradient flows back into it; copying values out (arraySync, dataSync) cuts it.',
    });
    tf.dispose([M, x, value, grads[pe.table.name]]);
    pe.dispose();
  });

  it('[1 pts] with learned positions one attention layer learns "repeat the previous token"; without, it cannot', () => {
    // Without positions the output at t cannot tell which token came just before (permutation equivariance).
    const before = tf.memory().numTensors;
    const none = trainPreviousToken({ positions: 'none', seed: 3, steps: 120 });
    const learned = trainPreviousToken({ positions: 'learned', seed: 3, steps: 120 });
    const call = "trainPreviousToken({ positions, seed: 3, steps: 120 }).accuracy";
    expectThat(learned.accuracy > 0.95, { call: `${call} with positions 'learned'`, expected: 'above 0.95', got: num(learned.accuracy) });
    expectThat(none.accuracy < 0.6, { call: `${call} with positions 'none'`, expected: 'below 0.6', got: num(none.accuracy) });
    assert.equal(learned.table?.length, 8, 'the trained table has one row per position');
    expectThat(tf.memory().numTensors === before, { call: 'tensors alive after training', expected: String(before), got: `${tf.memory().numTensors} (dispose what you create, or wrap it in tf.tidy)` });
  });
});

describe('part: RoPE', () => {
  before(async () => {
    await initBackend();
  });

  it('[2 pts] rotations match a hand computation', () => {
    // d = 2: theta_0 = 1, so position t turns (1, 0) to (cos t, sin t).
    expectClose(rotateAsComplex([1, 0], 1), [Math.cos(1), Math.sin(1)], { call: 'rotateAsComplex(x = [1, 0], t = 1)', tol: 1e-12, mistakes: ropeMistakes([1, 0], 1) });
    // d = 4: theta = (1, 10000^(-1/2) = 1/100). (1 + 2i) e^(2i) and (3 + 4i) e^(0.02 i).
    expectClose(ropeFrequencies(4), [1, 0.01], { call: 'ropeFrequencies(d = 4)', tol: 1e-15 });
    const [c2, s2, c, s] = [Math.cos(2), Math.sin(2), Math.cos(0.02), Math.sin(0.02)];
    const expected = [1 * c2 - 2 * s2, 1 * s2 + 2 * c2, 3 * c - 4 * s, 3 * s + 4 * c];
    expectClose(rotateAsComplex([1, 2, 3, 4], 2), expected, { call: 'rotateAsComplex(x = [1, 2, 3, 4], t = 2)', tol: 1e-12, mistakes: ropeMistakes([1, 2, 3, 4], 2) });
    expectClose(rotateByMatrix([1, 2, 3, 4], 2), expected, { call: 'rotateByMatrix(x = [1, 2, 3, 4], t = 2) (that is, ropeRotationMatrix(2, 4) times x)', tol: 1e-12, mistakes: ropeMistakes([1, 2, 3, 4], 2) });
    expectClose(rotateAsComplex([1, 2, 3, 4], 0), [1, 2, 3, 4], { call: 'rotateAsComplex(x = [1, 2, 3, 4], t = 0)', tol: 0, hint: 'at position 0 every angle is 0: RoPE leaves the vector as it is.' });
  });

  it('[2 pts] the rotation matrix is block diagonal and orthogonal; both forms agree', () => {
    const d = 8;
    const R = ropeRotationMatrix(7, d);
    const call = 'R = ropeRotationMatrix(t = 7, d = 8)';
    const outside = R.flatMap((row, i) => row.map((v, j) => ({ i, j, v }))).filter(({ i, j, v }) => Math.floor(i / 2) !== Math.floor(j / 2) && v !== 0);
    expectThat(outside.length === 0, {
      call,
      expected: 'zeros outside the 2x2 blocks on the diagonal (block j: rows and columns 2j, 2j+1)',
      got: `${outside.length} nonzero entries outside them, e.g. ${outside.slice(0, 3).map(({ i, j, v }) => `R[${i}][${j}] = ${num(v)}`).join(', ')}; R = ${show(R)}`,
      hint: diagnose(R, ropeMatrixMistakes(7, d), 1e-9) ?? 'block j rotates the pair (x[2j], x[2j+1]) and nothing else.',
    });
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const rtr = R.reduce((s, row) => s + row[i] * row[j], 0); // (R^T R)[i][j]
        expectThat(Math.abs(rtr - (i === j ? 1 : 0)) < 1e-12, { call: `(R^T R)[${i}][${j}] for R = ropeRotationMatrix(7, 8)`, expected: String(i === j ? 1 : 0), got: num(rtr) });
      }
    }
    const rng = new Rng(8);
    for (const t of [0, 1, 13, 500]) {
      const x = Array.from(rng.normals(d));
      const [byMatrix, byComplex, byHand] = [rotateByMatrix(x, t), rotateAsComplex(x, t), ropeByHand(x, t)];
      const near = (a: number[]): boolean => a.every((v, i) => Math.abs(v - byHand[i]) < 1e-9);
      const which = near(byMatrix) ? 'the matrix form is right here; rotateAsComplex is not.' : near(byComplex) ? 'rotateAsComplex is right here; ropeRotationMatrix is not.' : undefined;
      expectClose(byMatrix, byComplex, { call: `rotateByMatrix(x, ${t}) against rotateAsComplex(x, ${t}), x = ${show(x)}`, tol: 1e-12, hint: which });
    }
  });

  it('[2 pts] applyRope on (batch, heads, time, head_dim) rotates each vector by its position, with offset; agrees with the matrix form', () => {
    const before = tf.memory().numTensors;
    const [B, H, T, d] = [2, 3, 5, 8];
    const rng = new Rng(3);
    const data = rng.normals(B * H * T * d);
    const x = tf.tensor4d(data, [B, H, T, d]);
    const offset = 4;
    const fast = applyRope(x, { offset });
    const slow = applyRopeByMatrix(x, { offset });
    const fv = fast.dataSync();
    for (const [b, h, t] of [[0, 0, 0], [1, 2, 4], [0, 1, 3]]) {
      const at = ((b * H + h) * T + t) * d;
      const xv = Array.from(data.slice(at, at + d));
      const mistakes = [
        ...ropeMistakes(xv, offset + t),
        { value: ropeByHand(xv, t), hint: `this is the rotation for position ${t}: the offset (${offset}) is missing; time step t sits at position offset + t.` },
        { value: ropeByHand(xv, offset), hint: `every time step got position ${offset}: time step t sits at position offset + t.` },
      ];
      expectClose(Array.from(fv.slice(at, at + d)), ropeByHand(xv, offset + t), { call: `applyRope(x of shape [2, 3, 5, 8], { offset: ${offset} })[${b}, ${h}, ${t}], x[${b}, ${h}, ${t}] = ${show(xv)}`, tol: 1e-5, mistakes });
    }
    expectClose(Array.from(fv), Array.from(slow.dataSync()), {
      call: `applyRope(x, { offset: ${offset} }) against applyRopeByMatrix(x, { offset: ${offset} }), x random [2, 3, 5, 8] (seed 3)`,
      tol: 1e-5,
      hint: 'applyRope matches rotations computed by hand (checked just before), so ropeRotationMatrix, which applyRopeByMatrix uses, is the one to fix.',
    });
    tf.dispose([x, fast, slow]);
    expectThat(tf.memory().numTensors === before, { call: 'tensors alive after applyRope', expected: String(before), got: `${tf.memory().numTensors} (wrap the computation in tf.tidy)` });
  });

  it('[2 pts] the score <RoPE(q, m), RoPE(k, n)> depends on m - n only', () => {
    const rng = new Rng(5);
    const d = 16;
    const q = Array.from(rng.normals(d));
    const k = Array.from(rng.normals(d));
    const score = (m: number, n: number): number => dot(rotateAsComplex(q, m), rotateAsComplex(k, n));
    for (const [m, n] of [[3, 1], [10, 2], [0, 5]]) {
      const shifted = [1, 7, 100].map((shift) => score(m + shift, n + shift));
      expectClose(shifted, [score(m, n), score(m, n), score(m, n)], { call: `<RoPE(q, ${m} + s), RoPE(k, ${n} + s)> for s = 1, 7, 100 (q, k random, d = 16, seed 5)`, tol: 1e-9, hint: 'q and k must be rotated the same way, each by its own position.' });
    }
    expectThat(Math.abs(score(3, 1) - score(4, 1)) > 1e-3, { call: '<RoPE(q, 3), RoPE(k, 1)> against <RoPE(q, 4), RoPE(k, 1)>', expected: 'different scores', got: `${num(score(3, 1))} and ${num(score(4, 1))}` });
    // The same through the tensor path: every (query position, key position) pair on one diagonal scores alike.
    const T = 6;
    const qs = tf.tensor4d(Array.from({ length: T }, () => q).flat(), [1, 1, T, d]);
    const ks = tf.tensor4d(Array.from({ length: T }, () => k).flat(), [1, 1, T, d]);
    const S = tf.tidy(() => (applyRope(qs).matMul(applyRope(ks), false, true).arraySync() as number[][][][])[0][0]);
    for (let m = 1; m < T; m++) {
      for (let n = 1; n < T; n++) {
        expectThat(Math.abs(S[m][n] - S[m - 1][n - 1]) < 1e-4, { call: 'S = applyRope(q repeated 6 times) applyRope(k repeated)^T', expected: `S[${m}][${n}] = S[${m - 1}][${n - 1}] (within 1e-4)`, got: `${num(S[m][n])} and ${num(S[m - 1][n - 1])}` });
      }
    }
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
      const R = ropeMatrixByHand(2 + t, d);
      const wt = Array.from(wData.slice(t * d, (t + 1) * d));
      const expected = R[0].map((_, col) => R.reduce((s, row, i) => s + row[col] * wt[i], 0)); // (R^T w)[col]
      expectClose(Array.from(gv.slice(t * d, (t + 1) * d)), expected, { call: `gradient of sum(applyRope(x, { offset: 2 }) * w) at t = ${t}, w[t] = ${show(wt)}`, tol: 1e-5, hint: 'build applyRope from differentiable tf ops on x (no dataSync/arraySync on x inside it).' });
    }
    tf.dispose([x, w, g]);
  });
});
