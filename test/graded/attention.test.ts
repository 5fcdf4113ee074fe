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
  copyingQuery,
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

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `${what}[${i}]: got ${a}, expected ${expected[i]} (tol ${tol})`));
}

const fraction = (xs: readonly number[], pred: (x: number) => boolean): number => xs.filter(pred).length / xs.length;

describe('part: single-head attention', () => {
  it('[2 pts] weights and output match a hand computation', () => {
    // q = (1, 0); keys (1,0), (0,1), (1,1) -> scores 1, 0, 1; weights e/(2e+1), 1/(2e+1), e/(2e+1).
    const e = Math.E;
    const Z = 2 * e + 1;
    const r = singleHeadAttention([1, 0], [[1, 0], [0, 1], [1, 1]], [[1, 2], [3, 4], [5, 6]]);
    assertClose(r.scores, [1, 0, 1], 1e-12, 'scores');
    assertClose(r.weights, [e / Z, 1 / Z, e / Z], 1e-12, 'weights');
    // c = (e (1,2) + (3,4) + e (5,6)) / Z = ((6e + 3) / Z, (8e + 4) / Z)
    assertClose(r.output, [(6 * e + 3) / Z, (8 * e + 4) / Z], 1e-12, 'output');
  });

  it('[1 pts] softmax is stable for large scores and the weights sum to 1', () => {
    // scores 1000 and 999: weights 1/(1 + e^-1) and e^-1/(1 + e^-1), no overflow to NaN.
    const r = singleHeadAttention([1000], [[1], [0.999]], [[1], [0]]);
    const w0 = 1 / (1 + Math.exp(-1));
    assertClose(r.weights, [w0, 1 - w0], 1e-9, 'weights');
    assert.ok(Math.abs(r.weights[0] + r.weights[1] - 1) < 1e-12);
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

  it('[2 pts] copying: q = beta k_j puts weight e^beta / (e^beta + n - 1) on j and c -> v_j', () => {
    const setup = orthonormalSetup({ n: 5, dim: 8, seed: 11 });
    const betas = [0, 1, 2, 5, 10, 20];
    const sweep = copyingSweep(setup, 3, betas);
    sweep.forEach(({ beta, weight }) => {
      const expected = Math.exp(beta) / (Math.exp(beta) + 4);
      assert.ok(Math.abs(weight - expected) < 1e-9, `beta=${beta}: weight ${weight}, expected ${expected}`);
    });
    for (let i = 1; i < sweep.length; i++) assert.ok(sweep[i].distance < sweep[i - 1].distance, 'distance to v_j shrinks as beta grows');
    // |c - v_j| = sqrt((1 - a)^2 + (n - 1) ((1 - a) / (n - 1))^2) with a the weight on j, orthonormal values.
    const last = sweep[sweep.length - 1];
    const rest = 1 - last.weight;
    assert.ok(Math.abs(last.distance - Math.sqrt(rest * rest + 4 * (rest / 4) ** 2)) < 1e-12);
    assert.ok(last.distance < 1e-7);
    assertClose(copyingQuery(setup.keys, 3, 2), scale(setup.keys[3], 2), 0, 'copyingQuery');
  });

  it('[2 pts] average of two: q = beta (k_a + k_b) splits the weight and c -> (v_a + v_b) / 2', () => {
    const setup = orthonormalSetup({ n: 6, dim: 6, seed: 5 });
    const mid = scale(add(setup.values[1], setup.values[4]), 0.5);
    for (const beta of [1, 5, 30]) {
      const r = singleHeadAttention(averagingQuery(setup.keys, 1, 4, beta), setup.keys, setup.values);
      const each = Math.exp(beta) / (2 * Math.exp(beta) + 4);
      assert.ok(Math.abs(r.weights[1] - each) < 1e-9 && Math.abs(r.weights[4] - each) < 1e-9, `beta=${beta}: weights ${r.weights}`);
      if (beta === 30) assert.ok(norm(sub(r.output, mid)) < 1e-10, `c is (v_a + v_b)/2 at beta=30`);
    }
    assert.throws(() => averagingQuery(setup.keys, 2, 2, 1), /two different keys/);
    assert.throws(() => averagingQuery(setup.keys, 0, 6, 1), /b=6 is not a key index in \[0, 5\]/);
  });

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

  it('[2 pts] drawback of one head: with k_a stretched along mu_a, c swings between v_a and v_b', () => {
    // q = beta (mu_a + mu_b) scores k_a about beta*gamma with gamma ~ N(1, 1/2), k_b about beta: for large beta the
    // softmax follows the sign of gamma - 1, so c is nearly v_a half the time and nearly v_b the other half.
    const r = varianceExperiment({ heads: 1, samples: 2000, seed: 7, beta: 30 });
    const extreme = fraction(r.shares, (s) => s < 0.1 || s > 0.9);
    const mostlyA = fraction(r.shares, (s) => s > 0.5);
    assert.ok(extreme > 0.85, `only ${extreme} of the samples are nearly v_a or nearly v_b`);
    // P(gamma > 1) = 1/2; 2000 draws have a standard error of 0.011, tolerance 0.05.
    assert.ok(Math.abs(mostlyA - 0.5) < 0.05, `share of samples closer to v_a: ${mostlyA}`);
    assert.ok(fraction(r.shares, (s) => Math.abs(s - 0.5) < 0.05) < 0.05, 'a single head rarely lands on the average');
  });
});

describe('part: multi-head attention', () => {
  it('[2 pts] two heads on split vectors match a hand computation', () => {
    // q = (1, 0 | 0, 2); keys (1, 0 | 0, 0) and (0, 0 | 0, 1); values (1, 0 | 2, 0) and (0, 1 | 0, 4).
    // Head 1: scores 1, 0 -> weights e/(e+1), 1/(e+1); c_1 = (e, 1)/(e+1).
    // Head 2: scores 0, 2 -> weights 1/(1+e^2), e^2/(1+e^2); c_2 = (2, 4 e^2)/(1+e^2).
    const e = Math.E;
    const r = multiHeadAttention([1, 0, 0, 2], [[1, 0, 0, 0], [0, 0, 0, 1]], [[1, 0, 2, 0], [0, 1, 0, 4]], 2);
    assert.equal(r.heads.length, 2);
    assertClose(r.heads[0].weights, [e / (e + 1), 1 / (e + 1)], 1e-12, 'head 1 weights');
    assertClose(r.heads[1].weights, [1 / (1 + e * e), (e * e) / (1 + e * e)], 1e-12, 'head 2 weights');
    assertClose(r.output, [e / (e + 1), 1 / (e + 1), 2 / (1 + e * e), (4 * e * e) / (1 + e * e)], 1e-12, 'concatenated output');
  });

  it('[1 pts] one head is single-head attention; dimensions that do not split give errors', () => {
    const rng = new Rng(9);
    const q = Array.from(rng.normals(6));
    const keys = [0, 1, 2].map(() => Array.from(rng.normals(6)));
    const values = [0, 1, 2].map(() => Array.from(rng.normals(4)));
    assertClose(multiHeadAttention(q, keys, values, 1).output, singleHeadAttention(q, keys, values).output, 1e-12, 'h=1');
    assert.deepEqual(splitHeads([1, 2, 3, 4, 5, 6], 3), [[1, 2], [3, 4], [5, 6]]);
    assert.throws(() => multiHeadAttention(q, keys, values, 4), /not divisible by numHeads=4/);
    assert.throws(() => splitHeads([1, 2, 3], 0), /numHeads must be a positive integer/);
  });

  it('[2 pts] averaged heads: c = (c_1 + c_2) / 2 with each head attending on its own', () => {
    // Keys (1,0), (0,1); values (2,0), (0,2). Query 1 = (1,0): weights e/(e+1), 1/(e+1). Query 2 = (0,0): 1/2, 1/2.
    const e = Math.E;
    const r = averagedHeads([[1, 0], [0, 0]], [[1, 0], [0, 1]], [[2, 0], [0, 2]]);
    const c1 = [(2 * e) / (e + 1), 2 / (e + 1)];
    const c2 = [1, 1];
    assertClose(r.heads[0].output, c1, 1e-12, 'c_1');
    assertClose(r.heads[1].output, c2, 1e-12, 'c_2');
    assertClose(r.output, [(c1[0] + c2[0]) / 2, (c1[1] + c2[1]) / 2], 1e-12, 'average');
    assert.throws(() => averagedHeads([], [[1]], [[1]]), /at least one query/);
  });

  it('[1 pts] q_1 = beta mu_a and q_2 = beta mu_b average v_a and v_b when keys sit at their means', () => {
    const setup = orthonormalSetup({ n: 4, dim: 8, seed: 21 });
    const r = averagedHeads(twoHeadQueries(setup.keys, 0, 1, 30), setup.keys, setup.values);
    assert.ok(norm(sub(r.output, scale(add(setup.values[0], setup.values[1]), 0.5))) < 1e-10);
  });

  it('[2 pts] two heads keep c near (v_a + v_b) / 2 under the same variance (Monte Carlo, seed 7)', () => {
    const two = varianceExperiment({ heads: 2, samples: 2000, seed: 7, beta: 30 });
    const nearHalf = fraction(two.shares, (s) => Math.abs(s - 0.5) < 0.05);
    assert.ok(nearHalf > 0.85, `only ${nearHalf} of the samples are within 0.05 of an even mix`);
    // The exception: when gamma < 0, head 1 no longer prefers k_a and spreads over the other keys, so c loses v_a.
    // P(gamma < 0) for gamma ~ N(1, 1/2) is Phi(-sqrt 2) = erfc(1)/2 = 0.0786; tolerance 0.025 (4 standard errors).
    assert.ok(Math.abs(normalCdf(-Math.SQRT2) - 0.0786496) < 1e-6, 'normalCdf(-sqrt 2) = erfc(1)/2');
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-9 && Math.abs(normalCdf(1.959964) - 0.975) < 1e-6, 'normalCdf(0), normalCdf(1.96)');
    const lost = fraction(two.shares, (s) => s < 0.1);
    assert.ok(Math.abs(lost - 0.0786) < 0.025, `fraction where head 1 misses k_a: ${lost}`);
    const one = varianceExperiment({ heads: 1, samples: 2000, seed: 7, beta: 30 });
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    assert.ok(median(two.distancesToMidpoint) < 1e-3, `median distance to the midpoint with two heads: ${median(two.distancesToMidpoint)}`);
    assert.ok(median(one.distancesToMidpoint) > 0.3, `median distance to the midpoint with one head: ${median(one.distancesToMidpoint)}`);
  });
});

describe('part: permutation equivariance', () => {
  before(async () => {
    await initBackend();
  });

  it('[2 pts] self-attention matches a hand computation', () => {
    // X = I (2x2), W_q = W_k = W_v = I: scores X X^T / sqrt 2 = I / sqrt 2; each row's softmax puts
    // p = e^(1/sqrt2) / (e^(1/sqrt2) + 1) on itself, and Z = softmax(...) X = [[p, 1-p], [1-p, p]].
    const I = tf.eye(2) as tf.Tensor2D;
    const w = { query: I, key: I, value: I };
    const Z = selfAttention(I, w);
    const p = Math.exp(Math.SQRT1_2) / (Math.exp(Math.SQRT1_2) + 1);
    assertClose(Array.from(Z.dataSync()), [p, 1 - p, 1 - p, p], 1e-6, 'Z');
    const wrong = tf.zeros([2, 3]) as tf.Tensor2D;
    assert.throws(() => selfAttention(wrong, w), /X has d=3 but the weights expect d=2/);
    tf.dispose([I, Z, wrong]);
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
    const E = sinusoidalTensor(6, 8);
    const plain = permutationCheck(X, w, perm);
    const withPositions = permutationCheck(X, w, perm, E);
    assert.ok(plain.maxDifference < 1e-5, `equivariance broken without positions: ${plain.maxDifference}`);
    assert.ok(withPositions.maxDifference > 1e-2, `positions should break equivariance: ${withPositions.maxDifference}`);
    assert.throws(() => permutationCheck(X, w, [0, 1]), /length 2, expected 6/);
    tf.dispose([X, E]);
    disposeSelfAttention(w);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
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
    assertClose(catOutput(a, false), catOutput(b, false), 1e-5, 'cat without positions');
    const moved = norm(sub(catOutput(a, true), catOutput(b, true)));
    assert.ok(moved > 1e-2, `with positions the outputs should differ, distance ${moved}`);
    assert.throws(() => embedSentence(['the', 'dog'], table), /no embedding for the word "dog"/);
    disposeSelfAttention(w);
  });
});
