/**
 * Graded tests: single-head attention, multi-head attention, permutation equivariance.
 * Each `it` title starts with the points it is worth; each top-level describe is one part.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend';
import { singleHeadAttention } from '../../lib/attention/single_head';
import { averagedHeads, multiHeadAttention, splitHeads } from '../../lib/attention/multi_head';
import {
  averagingQuery,
  copyingSweep,
  normalCdf,
  orthonormalSetup,
  orthonormalVectors,
  sampleKeys,
  twoHeadQueries,
  varianceExperiment,
} from '../../lib/attention/constructions';
import { embedSentence, initSelfAttention, permutationCheck, permutationMatrix, selfAttention, toyWordEmbeddings, disposeSelfAttention } from '../../lib/attention/self_attention';
import { sinusoidalTensor } from '../../lib/positional/sinusoidal';
import { Rng } from '../../lib/util/random';
import { dot, norm, scale, add, sub } from '../../lib/attention/vector';
import { expectClose, expectThat, expectThrows, Mistake, num, show } from './check';

const fraction = (xs: readonly number[], pred: (x: number) => boolean): number => xs.filter(pred).length / xs.length;

const E = Math.E;

/** Wrong weights we can name, for the scores of a hand computation. */
function weightMistakes(scores: number[]): Mistake[] {
  const ex = scores.map(Math.exp);
  return [
    { value: scores, hint: 'the weights are the raw scores: apply a softmax (exponentiate, then divide by the sum).' },
    { value: ex, hint: 'the scores are exponentiated but not normalised: divide each by the sum of the exponentials.' },
    { value: scores.map(() => NaN), hint: 'NaN weights: exp of a large score overflows; subtract the largest score before exponentiating (vector.ts has a stable softmax).' },
  ];
}

describe('part: single-head attention', () => {
  it('[2 pts] weights and output match a hand computation', () => {
    // q = (1, 0); keys (1,0), (0,1), (1,1) -> scores 1, 0, 1; weights e/(2e+1), 1/(2e+1), e/(2e+1).
    const Z = 2 * E + 1;
    const call = 'singleHeadAttention(q = [1, 0], keys = [[1, 0], [0, 1], [1, 1]], values = [[1, 2], [3, 4], [5, 6]])';
    const r = singleHeadAttention([1, 0], [[1, 0], [0, 1], [1, 1]], [[1, 2], [3, 4], [5, 6]]);
    expectClose(r.scores, [1, 0, 1], { call: `${call}.scores`, tol: 1e-12, hint: 'score i is the dot product k_i . q.' });
    expectClose(r.weights, [E / Z, 1 / Z, E / Z], { call: `${call}.weights`, tol: 1e-12, mistakes: weightMistakes([1, 0, 1]) });
    // c = (e (1,2) + (3,4) + e (5,6)) / Z = ((6e + 3) / Z, (8e + 4) / Z)
    expectClose(r.output, [(6 * E + 3) / Z, (8 * E + 4) / Z], {
      call: `${call}.output`,
      tol: 1e-12,
      mistakes: [
        { value: [6, 8], hint: 'the output mixes the values with the raw scores: mix them with the softmax weights.' },
        { value: [(E + 3 * 1 + 5 * E) / 1, (2 * E + 4 + 6 * E) / 1], hint: 'the output mixes the values with unnormalised weights: the weights must sum to 1.' },
      ],
    });
  });

  it('[1 pts] softmax is stable for large scores and the weights sum to 1', () => {
    // scores 1000 and 999: weights 1/(1 + e^-1) and e^-1/(1 + e^-1), no overflow to NaN.
    const r = singleHeadAttention([1000], [[1], [0.999]], [[1], [0]]);
    const w0 = 1 / (1 + Math.exp(-1));
    expectClose(r.weights, [w0, 1 - w0], { call: 'singleHeadAttention(q = [1000], keys = [[1], [0.999]], values = [[1], [0]]).weights (scores 1000 and 999)', tol: 1e-9, mistakes: weightMistakes([1000, 999]) });
  });

  it('[0 pts] mismatched keys, values and query give errors that say what was expected (provided code)', () => {
    assert.throws(() => singleHeadAttention([1, 0], [[1, 0]], [[1], [2]]), /1 keys but 2 values/);
    assert.throws(() => singleHeadAttention([1, 0], [[1, 0, 0]], [[1]]), /key 0 has dimension 3, expected the query's dimension 2/);
    assert.throws(() => singleHeadAttention([1], [], []), /at least one key/);
  });

  it('[0 pts] generated orthonormal bases are orthonormal and reproducible from the seed (provided code)', () => {
    const a = orthonormalVectors(5, 7, new Rng(3));
    const b = orthonormalVectors(5, 7, new Rng(3));
    assert.deepEqual(a, b);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) assert.ok(Math.abs(dot(a[i], a[j]) - (i === j ? 1 : 0)) < 1e-12, `<u${i}, u${j}>`);
    assert.throws(() => orthonormalVectors(4, 3, new Rng(1)), /cannot fit 4 orthonormal vectors in dimension 3/);
  });

  it('[1 pts] copyingQuery: the output moves to v_j as beta grows', () => {
    const setup = orthonormalSetup({ n: 5, dim: 8, seed: 11 });
    const betas = [0, 1, 2, 5, 10, 20];
    const sweep = copyingSweep(setup, 3, betas);
    const distances = sweep.map((s) => s.distance);
    const call = 'copyingSweep(orthonormalSetup({ n: 5, dim: 8, seed: 11 }), j = 3, betas = [0, 1, 2, 5, 10, 20]): |c - v_3| for each beta';
    expectThat(distances.every((d, i) => i === 0 || d < distances[i - 1]), { call, expected: 'distances that shrink as beta grows', got: show(distances), hint: 'the larger beta, the more the query must prefer key j over the others.' });
    expectThat(distances[distances.length - 1] < 1e-7, { call, expected: '|c - v_3| below 1e-7 at beta = 20', got: show(distances) });
  });

  // BEGIN HIDDEN TESTS
  it('[1 pts] copying: the weight on key j is e^beta / (e^beta + n - 1) for every beta', () => {
    const setup = orthonormalSetup({ n: 5, dim: 8, seed: 11 });
    const betas = [0, 1, 2, 5, 10, 20];
    const weights = copyingSweep(setup, 3, betas).map((s) => s.weight);
    expectClose(weights, betas.map((b) => Math.exp(b) / (Math.exp(b) + 4)), {
      call: 'weight on key 3 of singleHeadAttention(copyingQuery(keys, 3, beta), keys, values), n = 5 orthonormal keys, beta = 0, 1, 2, 5, 10, 20',
      tol: 1e-9,
      mistakes: [{ value: betas.map((b) => Math.exp(b * b) / (Math.exp(b * b) + 4)), hint: 'the query scales key j by beta squared: scale it by beta.' }],
    });
  });
  // END HIDDEN TESTS

  it('[1 pts] averagingQuery: the output moves to (v_a + v_b) / 2 as beta grows; a = b and bad indices are errors', () => {
    const setup = orthonormalSetup({ n: 6, dim: 6, seed: 5 });
    const mid = scale(add(setup.values[1], setup.values[4]), 0.5);
    const distances = [1, 5, 30].map((beta) => norm(sub(singleHeadAttention(averagingQuery(setup.keys, 1, 4, beta), setup.keys, setup.values).output, mid)));
    const call = 'singleHeadAttention(averagingQuery(keys, a = 1, b = 4, beta), keys, values), 6 orthonormal keys (seed 5): |c - (v_1 + v_4)/2| for beta = 1, 5, 30';
    expectThat(distances[0] > distances[1] && distances[1] > distances[2] && distances[2] < 1e-10, { call, expected: 'distances that shrink to below 1e-10 at beta = 30', got: show(distances), hint: 'the query must score keys a and b equally, and above the others by an amount that grows with beta.' });
    expectThrows(() => averagingQuery(setup.keys, 2, 2, 1), /two different keys/, { call: 'averagingQuery(keys, 2, 2, 1)' });
    expectThrows(() => averagingQuery(setup.keys, 0, 6, 1), /b=6 is not a key index in \[0, 5\]/, { call: 'averagingQuery(keys, 0, 6, 1) with 6 keys' });
  });

  // BEGIN HIDDEN TESTS
  it('[1 pts] average of two: keys a and b each get e^beta / (2 e^beta + n - 2)', () => {
    const setup = orthonormalSetup({ n: 6, dim: 6, seed: 5 });
    for (const beta of [1, 5, 30]) {
      const r = singleHeadAttention(averagingQuery(setup.keys, 1, 4, beta), setup.keys, setup.values);
      const each = Math.exp(beta) / (2 * Math.exp(beta) + 4);
      expectClose([r.weights[1], r.weights[4]], [each, each], { call: `weights on keys 1 and 4 with averagingQuery(keys, 1, 4, beta = ${beta}), 6 orthonormal keys`, tol: 1e-9 });
    }
  });
  // END HIDDEN TESTS

  it('[0 pts] sampled keys follow N(mu, alpha I + s mu mu^T) (Monte Carlo, 4000 draws, seed 2) (provided code)', () => {
    const means = orthonormalVectors(2, 4, new Rng(1));
    const rng = new Rng(2);
    const alpha = 0.01;
    const along: number[] = [];
    const across: number[] = [];
    for (let s = 0; s < 4000; s++) {
      const [ka, kb] = sampleKeys(means, { alpha, stretch: { index: 0, amount: 0.5 } }, rng);
      along.push(dot(ka, means[0])); // gamma = 1 + N(0, alpha + 0.5)
      across.push(dot(kb, means[0])); // N(0, alpha): k_b is not stretched
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = (xs: number[]): number => {
      const m = mean(xs);
      return mean(xs.map((x) => (x - m) ** 2));
    };
    // Standard error of a variance estimate from 4000 normal draws is about var * sqrt(2/4000) = 2.2%; allow 10%.
    assert.ok(Math.abs(mean(along) - 1) < 0.05, `mean along mu_a ${mean(along)}`);
    assert.ok(Math.abs(variance(along) / (alpha + 0.5) - 1) < 0.1, `variance along mu_a ${variance(along)}`);
    assert.ok(Math.abs(variance(across) / alpha - 1) < 0.1, `variance of k_b along mu_a ${variance(across)}`);
  });

  // BEGIN HIDDEN TESTS
  it('[2 pts] drawback of one head: with k_a stretched along mu_a, c swings between v_a and v_b', () => {
    // q = beta (mu_a + mu_b) scores k_a about beta*gamma with gamma ~ N(1, 1/2), k_b about beta: for large beta the
    // softmax follows the sign of gamma - 1, so c is nearly v_a half the time and nearly v_b the other half.
    const r = varianceExperiment({ heads: 1, samples: 2000, seed: 7, beta: 30 });
    const call = 'varianceExperiment({ heads: 1, samples: 2000, seed: 7, beta: 30 }).shares (share of v_a in c, per draw)';
    const extreme = fraction(r.shares, (s) => s < 0.1 || s > 0.9);
    const mostlyA = fraction(r.shares, (s) => s > 0.5);
    const even = fraction(r.shares, (s) => Math.abs(s - 0.5) < 0.05);
    const seen = `${num(extreme)} of the draws below 0.1 or above 0.9, ${num(mostlyA)} above 0.5, ${num(even)} within 0.05 of 0.5`;
    expectThat(extreme > 0.85, { call, expected: 'more than 0.85 of the draws below 0.1 or above 0.9', got: seen });
    // P(gamma > 1) = 1/2; 2000 draws have a standard error of 0.011, tolerance 0.05.
    expectThat(Math.abs(mostlyA - 0.5) < 0.05, { call, expected: 'about half the draws (0.45 to 0.55) above 0.5', got: seen });
    expectThat(even < 0.05, { call, expected: 'under 0.05 of the draws within 0.05 of an even mix', got: seen });
  });
  // END HIDDEN TESTS
});

describe('part: multi-head attention', () => {
  it('[2 pts] two heads on split vectors match a hand computation', () => {
    // q = (1, 0 | 0, 2); keys (1, 0 | 0, 0) and (0, 0 | 0, 1); values (1, 0 | 2, 0) and (0, 1 | 0, 4).
    // Head 1: scores 1, 0 -> weights e/(e+1), 1/(e+1); c_1 = (e, 1)/(e+1).
    // Head 2: scores 0, 2 -> weights 1/(1+e^2), e^2/(1+e^2); c_2 = (2, 4 e^2)/(1+e^2).
    const call = 'multiHeadAttention(q = [1, 0, 0, 2], keys = [[1, 0, 0, 0], [0, 0, 0, 1]], values = [[1, 0, 2, 0], [0, 1, 0, 4]], numHeads = 2)';
    const r = multiHeadAttention([1, 0, 0, 2], [[1, 0, 0, 0], [0, 0, 0, 1]], [[1, 0, 2, 0], [0, 1, 0, 4]], 2);
    expectThat(r.heads.length === 2, { call: `${call}.heads.length`, expected: '2', got: String(r.heads.length) });
    const c1 = [E / (E + 1), 1 / (E + 1)];
    const c2 = [2 / (1 + E * E), (4 * E * E) / (1 + E * E)];
    expectClose(r.heads[0].weights, [E / (E + 1), 1 / (E + 1)], { call: `${call}.heads[0].weights`, tol: 1e-12, hint: 'head 1 attends with the first half of q over the first halves of the keys.' });
    expectClose(r.heads[1].weights, [1 / (1 + E * E), (E * E) / (1 + E * E)], { call: `${call}.heads[1].weights`, tol: 1e-12 });
    expectClose(r.output, [...c1, ...c2], {
      call: `${call}.output`,
      tol: 1e-12,
      mistakes: [
        { value: [...c2, ...c1], hint: 'the head outputs are concatenated in the wrong order: head 1 first.' },
        { value: [(c1[0] + c2[0]) / 2, (c1[1] + c2[1]) / 2], hint: 'the head outputs are averaged: multiHeadAttention concatenates them (averagedHeads is the one that averages).' },
      ],
    });
  });

  it('[1 pts] one head is single-head attention; dimensions that do not split give errors', () => {
    const rng = new Rng(9);
    const q = Array.from(rng.normals(6));
    const keys = [0, 1, 2].map(() => Array.from(rng.normals(6)));
    const values = [0, 1, 2].map(() => Array.from(rng.normals(4)));
    expectClose(multiHeadAttention(q, keys, values, 1).output, singleHeadAttention(q, keys, values).output, { call: 'multiHeadAttention(q, keys, values, 1) against singleHeadAttention(q, keys, values) (random, seed 9)', tol: 1e-12 });
    assert.deepEqual(splitHeads([1, 2, 3, 4, 5, 6], 3), [[1, 2], [3, 4], [5, 6]]);
    expectThrows(() => multiHeadAttention(q, keys, values, 4), /not divisible by numHeads=4/, { call: 'multiHeadAttention with dimension 6 and numHeads = 4' });
    expectThrows(() => splitHeads([1, 2, 3], 0), /numHeads must be a positive integer/, { call: 'splitHeads([1, 2, 3], 0)' });
  });

  it('[2 pts] averaged heads: c = (c_1 + c_2) / 2 with each head attending on its own', () => {
    // Keys (1,0), (0,1); values (2,0), (0,2). Query 1 = (1,0): weights e/(e+1), 1/(e+1). Query 2 = (0,0): 1/2, 1/2.
    const call = 'averagedHeads(queries = [[1, 0], [0, 0]], keys = [[1, 0], [0, 1]], values = [[2, 0], [0, 2]])';
    const r = averagedHeads([[1, 0], [0, 0]], [[1, 0], [0, 1]], [[2, 0], [0, 2]]);
    const c1 = [(2 * E) / (E + 1), 2 / (E + 1)];
    const c2 = [1, 1];
    expectClose(r.heads[0].output, c1, { call: `${call}.heads[0].output`, tol: 1e-12 });
    expectClose(r.heads[1].output, c2, { call: `${call}.heads[1].output`, tol: 1e-12 });
    expectClose(r.output, [(c1[0] + c2[0]) / 2, (c1[1] + c2[1]) / 2], {
      call: `${call}.output`,
      tol: 1e-12,
      mistakes: [
        { value: [c1[0] + c2[0], c1[1] + c2[1]], hint: 'the head outputs are summed: average them (divide by the number of heads).' },
        { value: [...c1, ...c2], hint: 'the head outputs are concatenated: averagedHeads averages them.' },
      ],
    });
    expectThrows(() => averagedHeads([], [[1]], [[1]]), /at least one query/, { call: 'averagedHeads([], [[1]], [[1]])' });
  });

  it('[1 pts] twoHeadQueries with averagedHeads lands on (v_a + v_b) / 2 when the keys sit at their means', () => {
    const setup = orthonormalSetup({ n: 4, dim: 8, seed: 21 });
    const r = averagedHeads(twoHeadQueries(setup.keys, 0, 1, 30), setup.keys, setup.values);
    const distance = norm(sub(r.output, scale(add(setup.values[0], setup.values[1]), 0.5)));
    expectThat(distance < 1e-10, {
      call: 'averagedHeads(twoHeadQueries(means, 0, 1, beta = 30), means, values), 4 orthonormal means (seed 21)',
      expected: '|c - (v_0 + v_1)/2| below 1e-10',
      got: `${num(distance)} (head weights ${show(r.heads.map((h) => h.weights))})`,
      hint: 'each head should put (almost) all its weight on one of the two keys, a different one for each head.',
    });
  });

  // BEGIN HIDDEN TESTS
  it('[2 pts] two heads keep c near (v_a + v_b) / 2 under the same variance (Monte Carlo, seed 7)', () => {
    const two = varianceExperiment({ heads: 2, samples: 2000, seed: 7, beta: 30 });
    const call = 'varianceExperiment({ heads: 2, samples: 2000, seed: 7, beta: 30 })';
    const nearHalf = fraction(two.shares, (s) => Math.abs(s - 0.5) < 0.05);
    expectThat(nearHalf > 0.85, { call: `${call}.shares`, expected: 'more than 0.85 of the draws within 0.05 of an even mix', got: num(nearHalf) });
    // The exception: when gamma < 0, head 1 no longer prefers k_a and spreads over the other keys, so c loses v_a.
    // P(gamma < 0) for gamma ~ N(1, 1/2) is Phi(-sqrt 2) = erfc(1)/2 = 0.0786; tolerance 0.025 (4 standard errors).
    assert.ok(Math.abs(normalCdf(-Math.SQRT2) - 0.0786496) < 1e-6, 'normalCdf(-sqrt 2) = erfc(1)/2');
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-9 && Math.abs(normalCdf(1.959964) - 0.975) < 1e-6, 'normalCdf(0), normalCdf(1.96)');
    const lost = fraction(two.shares, (s) => s < 0.1);
    expectThat(Math.abs(lost - 0.0786) < 0.025, { call: `${call}.shares`, expected: 'a share below 0.1 in 0.0786 +- 0.025 of the draws (those with gamma < 0)', got: num(lost) });
    const one = varianceExperiment({ heads: 1, samples: 2000, seed: 7, beta: 30 });
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expectThat(median(two.distancesToMidpoint) < 1e-3, { call: `${call}.distancesToMidpoint`, expected: 'a median below 1e-3', got: num(median(two.distancesToMidpoint)) });
    expectThat(median(one.distancesToMidpoint) > 0.3, { call: 'varianceExperiment({ heads: 1, ... }).distancesToMidpoint', expected: 'a median above 0.3', got: num(median(one.distancesToMidpoint)) });
  });
  // END HIDDEN TESTS
});

/** softmax(X Wq (X Wk)^T * scale) X Wv in plain numbers, with the softmax over rows (right) or columns (a mistake). */
function attentionByHand(X: number[][], Wq: number[][], Wk: number[][], Wv: number[][], scale: number, axis: 'rows' | 'columns'): number[][] {
  const mm = (A: number[][], B: number[][]): number[][] => A.map((row) => B[0].map((_, j) => row.reduce((s, v, k) => s + v * B[k][j], 0)));
  const T = (A: number[][]): number[][] => A[0].map((_, j) => A.map((row) => row[j]));
  const softmaxRows = (A: number[][]): number[][] =>
    A.map((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    });
  const S = mm(mm(X, Wq), T(mm(X, Wk))).map((row) => row.map((v) => v * scale));
  const A = axis === 'rows' ? softmaxRows(S) : T(softmaxRows(T(S)));
  return mm(A, mm(X, Wv));
}

function selfAttentionMistakes(X: number[][], Wq: number[][], Wk: number[][], Wv: number[][]): Mistake[] {
  const dk = Wk[0].length;
  return [
    { value: attentionByHand(X, Wq, Wk, Wv, 1, 'rows'), hint: 'the scores are not scaled: divide Q K^T by sqrt(d_k) before the softmax.' },
    { value: attentionByHand(X, Wq, Wk, Wv, 1 / dk, 'rows'), hint: 'the scores are divided by d_k: divide them by sqrt(d_k).' },
    { value: attentionByHand(X, Wq, Wk, Wv, 1 / Math.sqrt(dk), 'columns'), hint: 'the softmax runs down the columns: each query (row of the scores) needs weights over the keys that sum to 1.' },
  ];
}

describe('part: permutation equivariance', () => {
  before(async () => {
    await initBackend();
  });

  it('[2 pts] self-attention matches a hand computation', () => {
    // X = I (2x2), W_q = W_k = W_v = I: scores X X^T / sqrt 2 = I / sqrt 2; each row's softmax puts
    // p = e^(1/sqrt2) / (e^(1/sqrt2) + 1) on itself, and Z = softmax(...) X = [[p, 1-p], [1-p, p]].
    const eye = [[1, 0], [0, 1]];
    const I = tf.tensor2d(eye);
    const Z = selfAttention(I, { query: I, key: I, value: I });
    const p = Math.exp(Math.SQRT1_2) / (Math.exp(Math.SQRT1_2) + 1);
    expectClose(Z.arraySync(), [[p, 1 - p], [1 - p, p]], { call: 'selfAttention(X = I, { query: I, key: I, value: I }) (2 x 2)', tol: 1e-6, mistakes: selfAttentionMistakes(eye, eye, eye, eye) });
    // W_q = [[1, 1], [0, 1]] makes the scores [[1, 1], [0, 1]] / sqrt 2, not symmetric: row 0 splits evenly,
    // row 1 puts e^(1/sqrt2) / (1 + e^(1/sqrt2)) = p on key 1.
    const wq = [[1, 1], [0, 1]];
    const Wq = tf.tensor2d(wq);
    const Z2 = selfAttention(I, { query: Wq, key: I, value: I });
    expectClose(Z2.arraySync(), [[0.5, 0.5], [1 - p, p]], { call: 'selfAttention(X = I, { query: [[1, 1], [0, 1]], key: I, value: I })', tol: 1e-6, mistakes: selfAttentionMistakes(eye, wq, eye, eye) });
    const wrong = tf.zeros([2, 3]) as tf.Tensor2D;
    expectThrows(() => selfAttention(wrong, { query: I, key: I, value: I }), /X has d=3 but the weights expect d=2/, { call: 'selfAttention(X of shape [2, 3], weights for d = 2)' });
    tf.dispose([I, Z, Wq, Z2, wrong]);
  });

  it('[0 pts] permutation matrices move rows as stated, and bad permutations are rejected (provided code)', () => {
    const X = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const P = permutationMatrix([2, 0, 1]);
    assert.deepEqual(P.matMul(X).arraySync(), [[5, 6], [1, 2], [3, 4]]);
    tf.dispose([X, P]);
    assert.throws(() => permutationMatrix([0, 0, 1]), /repeats 0/);
    assert.throws(() => permutationMatrix([0, 3, 1]), /entry 3 is not a row index in \[0, 2\]/);
  });

  it('[2 pts] without positions Z(P X) = P Z(X); with sinusoidal positions it does not hold', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(4);
    const X = tf.tensor2d(rng.normals(6 * 8), [6, 8]);
    const w = initSelfAttention(8, 8, 12);
    const perm = rng.shuffle([0, 1, 2, 3, 4, 5]);
    const positions = sinusoidalTensor(6, 8);
    const plain = permutationCheck(X, w, perm);
    const withPositions = permutationCheck(X, w, perm, positions);
    const call = `permutationCheck(X, w, perm = [${perm.join(', ')}]) with X random 6 x 8 (seed 4), w = initSelfAttention(8, 8, 12)`;
    expectThat(plain.maxDifference < 1e-5, { call, expected: 'max |Z(P X) - P Z(X)| below 1e-5 without positions', got: num(plain.maxDifference), hint: 'self-attention must treat every row alike: no index, position or order may enter the computation.' });
    expectThat(withPositions.maxDifference > 1e-2, { call: `${call}, with sinusoidal positions added`, expected: 'max |Z(P X + E) - P Z(X + E)| above 1e-2', got: num(withPositions.maxDifference) });
    expectThrows(() => permutationCheck(X, w, [0, 1]), /length 2, expected 6/, { call: 'permutationCheck(X with 6 rows, w, [0, 1])' });
    tf.dispose([X, positions]);
    disposeSelfAttention(w);
    expectThat(tf.memory().numTensors === before, { call: 'tensors alive after the test', expected: String(before), got: `${tf.memory().numTensors} (wrap the computation in tf.tidy)` });
  });

  it('[1 pts] "the cat sat on the mat" and "on the mat sat the cat" give "cat" the same output without positions', () => {
    const a = 'the cat sat on the mat'.split(' ');
    const b = 'on the mat sat the cat'.split(' ');
    const table = toyWordEmbeddings(a, 8, 3);
    const w = initSelfAttention(8, 8, 5);
    const catOutput = (words: string[], withPositions: boolean): number[] =>
      tf.tidy(() => {
        let X = embedSentence(words, table);
        if (withPositions) X = X.add(sinusoidalTensor(words.length, 8));
        return Array.from(selfAttention(X, w).slice([words.indexOf('cat'), 0], [1, 8]).dataSync());
      });
    expectClose(catOutput(b, false), catOutput(a, false), { call: 'output for "cat" in "on the mat sat the cat" against "the cat sat on the mat" (no positions; toy embeddings seed 3, weights seed 5)', tol: 1e-5 });
    const moved = norm(sub(catOutput(a, true), catOutput(b, true)));
    expectThat(moved > 1e-2, { call: 'the same with sinusoidal positions added', expected: 'outputs at least 1e-2 apart', got: num(moved) });
    expectThrows(() => embedSentence(['the', 'dog'], table), /no embedding for the word "dog"/, { call: "embedSentence(['the', 'dog'], table without 'dog')" });
    disposeSelfAttention(w);
  });
});
