/**
 * The lib functions that notebooks 1-4 and 6 call where their cells would otherwise define a helper: each against
 * values worked out by hand on a case small enough to do on paper.
 */
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { averagingSweep, evenMixByBeta, shareFractions } from '../lib/attention/constructions';
import { SelfAttentionWeights, outputsByWord, sineInput, wordOrderGap } from '../lib/attention/self_attention';
import { maxAbsDifference } from '../lib/attention/vector';
import { CharCorruptionDataset, Vocab, countedTargets, documentsAtLeast, spanLengthStats, MASK_CHAR, PAD_CHAR } from '../lib/data/index';
import { identicalTokensAttention, ropeFormsMaxDifference, ropeScore, ropeScoreMatrix, ropeScoresAtOffsets } from '../lib/positional/rope';
import { similarityByOffset } from '../lib/positional/sinusoidal';
import { column, evenlySpaced } from '../lib/util/arrays';
import { formatNumbers, roundNumbers } from '../lib/util/format';
import { Rng } from '../lib/util/random';
import { corruptionExampleHtml, corruptionExamplesHtml } from '../lib/viz/corruption';

const close = (got: number, want: number, tol: number, what: string): void => assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} (tolerance ${tol})`);
const allClose = (got: readonly number[], want: readonly number[], tol: number, what: string): void => {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => close(g, want[i], tol, `${what}[${i}]`));
};

describe('array and number helpers the notebooks call', () => {
  it('evenlySpaced: start + i step, count numbers; column: one field of each row', () => {
    assert.deepEqual(evenlySpaced(0, 0.25, 5), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(evenlySpaced(-2, 1, 5), [-2, -1, 0, 1, 2]);
    assert.deepEqual(evenlySpaced(3, 1, 0), []);
    assert.throws(() => evenlySpaced(0, 1, 1.5), /evenlySpaced: count must be a non-negative integer, got 1.5/);
    assert.deepEqual(column([{ beta: 1, weight: 0.5 }, { beta: 2, weight: 0.7 }], 'weight'), [0.5, 0.7]);
  });

  it('formatNumbers and roundNumbers: fixed decimals, as text and as numbers', () => {
    assert.equal(formatNumbers([0.5, 0.25, 1 / 3], 3), '0.500, 0.250, 0.333');
    assert.equal(formatNumbers(new Float32Array([1, 0]), 4), '1.0000, 0.0000');
    assert.deepEqual(roundNumbers([0.42231, 1.26701, 2], 4), [0.4223, 1.267, 2]);
  });

  it('maxAbsDifference: the largest coordinate gap', () => {
    assert.equal(maxAbsDifference([1, 2, 3], [1, 2.5, 2]), 1);
    assert.equal(maxAbsDifference([-1, 4], [-1, 4]), 0);
    assert.throws(() => maxAbsDifference([1], [1, 2]), /maxAbsDifference: vectors of different lengths 1 and 2/);
  });
});

describe('the attention constructions of notebooks 1 and 2', () => {
  // Keys and values the unit vectors e_1, e_2, e_3.
  const identity = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const setup = { keys: identity, values: identity };

  it('averagingSweep: weights on a and b and the distance to (v_a + v_b)/2, per beta', () => {
    // beta = 0: scores 0, 0, 0, weights 1/3 each, c = (1/3, 1/3, 1/3), |c - (1/2, 1/2, 0)| = sqrt(2/36 + 4/36) = sqrt(6)/6.
    // beta = ln 2: scores ln 2, ln 2, 0, so e^score = 2, 2, 1 and weights 0.4, 0.4, 0.2; |(-0.1, -0.1, 0.2)| = sqrt(0.06).
    const [flat, tilted] = averagingSweep(setup, 0, 1, [0, Math.LN2]);
    close(flat.weightA, 1 / 3, 1e-12, 'beta 0 weight on a');
    close(flat.weightB, 1 / 3, 1e-12, 'beta 0 weight on b');
    close(flat.distance, Math.sqrt(6) / 6, 1e-12, 'beta 0 distance');
    close(tilted.weightA, 0.4, 1e-12, 'beta ln2 weight on a');
    close(tilted.weightB, 0.4, 1e-12, 'beta ln2 weight on b');
    close(tilted.distance, Math.sqrt(0.06), 1e-12, 'beta ln2 distance');
    assert.equal(tilted.beta, Math.LN2);
    // The weights on b and on the third key for a = 2, b = 0: e^ln2 = 2 on keys 2 and 0, 1 on key 1.
    const [other] = averagingSweep(setup, 2, 0, [Math.LN2]);
    close(other.weightA, 0.4, 1e-12, 'a = 2');
    close(other.result.weights[1], 0.2, 1e-12, 'the key left out');
  });

  it('shareFractions: below 0.1, above 0.9, within 0.05 of 1/2 (the bounds themselves excluded)', () => {
    assert.deepEqual(shareFractions([0.05, 0.95, 0.5, 0.52, 0.3]), { nearB: 0.2, nearA: 0.2, evenMix: 0.4 });
    assert.deepEqual(shareFractions([0.1, 0.9, 0.25, 0.75]), { nearB: 0, nearA: 0, evenMix: 0 });
    assert.throws(() => shareFractions([]), /shareFractions: no shares/);
  });

  it('evenMixByBeta: at beta 0 every draw is the even mix; at a large beta two heads miss only when gamma < 0', () => {
    // beta = 0: the query is 0, every key gets weight 1/4, c is the mean of four orthonormal values and
    // <c, v_a> = <c, v_b> = 1/4: share exactly 1/2 in every draw, for one head and for two.
    assert.deepEqual(evenMixByBeta(1, [0], { samples: 50, seed: 1 }), [1]);
    assert.deepEqual(evenMixByBeta(2, [0], { samples: 50, seed: 1 }), [1]);
    // beta = 64, two heads: all but the draws with gamma < 0, P = Phi(-sqrt 2) = 0.0786, so about 0.921
    // (500 draws: standard error 0.012); one head leaves the even mix: share near 0 or 1.
    const [two] = evenMixByBeta(2, [64], { samples: 500, seed: 11 });
    close(two, 1 - 0.0786, 0.04, 'two heads at beta 64');
    const [one] = evenMixByBeta(1, [64], { samples: 500, seed: 11 });
    assert.ok(one < 0.05, `one head at beta 64: ${one}`);
  });
});

describe('word order and self-attention (notebook 3)', () => {
  // d = 2, W_q = W_k = W_v = I: scores X X^T / sqrt(2), outputs the weighted rows of X.
  const eye = (): SelfAttentionWeights => ({ query: tf.eye(2) as tf.Tensor2D, key: tf.eye(2) as tf.Tensor2D, value: tf.eye(2) as tf.Tensor2D });
  const table = new Map([['a', [1, 0]], ['b', [0, 1]]]);

  it('outputsByWord: Z[t] keyed by word, the positions added to the input', () => {
    // W_q = W_k = 0: every score 0, uniform weights, every row of Z is the mean of the rows of X (+ E).
    const w: SelfAttentionWeights = { query: tf.zeros([2, 2]), key: tf.zeros([2, 2]), value: tf.eye(2) as tf.Tensor2D };
    const E = tf.tensor2d([[1, 0], [0, 0]]);
    const z = outputsByWord(['a', 'b'], table, w, E);
    allClose(z.get('a')!, [1, 0.5], 1e-6, 'a'); // mean of (2, 0) and (0, 1)
    allClose(z.get('b')!, [1, 0.5], 1e-6, 'b');
    assert.throws(() => outputsByWord(['a', 'b', 'a'], table, w, E), /outputsByWord: positions have shape \[2, 2\], expected \[3, 2\]/);
    tf.dispose([w.query, w.key, w.value, E]);
  });

  it('wordOrderGap: 0 without positions; with E = [[1, 0], [0, 0]] the distances worked out by hand', () => {
    const w = eye();
    const E = tf.tensor2d([[1, 0], [0, 0]]);
    // Without positions "a b" and "b a" give each word the same row: softmax([1, 0] / sqrt 2) on itself and the other.
    const without = wordOrderGap(['a', 'b'], ['b', 'a'], table, w);
    assert.deepEqual(without.words, ['a', 'b']);
    allClose(without.distances, [0, 0], 1e-6, 'without positions');
    // "a b" + E = [(2, 0), (0, 1)]: z_a = (2s, 1 - s), s = sigmoid(4 / sqrt 2) = 0.944193; z_b = (2(1 - w), w),
    // w = sigmoid(1 / sqrt 2) = 0.669762. "b a" + E = [(1, 1), (1, 0)]: z_b = (1, w), z_a = (1, 1/2).
    // |z_a - z_a'| = (2s - 1) sqrt(5/4) = 0.993245, |z_b - z_b'| = |1 - 2w| = 0.339523.
    const withE = wordOrderGap(['a', 'b'], ['b', 'a'], table, w, E);
    allClose(withE.distances, [0.993245, 0.339523], 1e-5, 'with positions');
    assert.throws(() => wordOrderGap(['a', 'b'], ['b', 'b'], table, w), /wordOrderGap: "a" is in the first sentence but not in the second/);
    tf.dispose([w.query, w.key, w.value, E]);
  });

  it('sineInput: entry i is sin(1.7 i + 0.3), row by row', () => {
    const X = sineInput(2, 3);
    assert.deepEqual(X.shape, [2, 3]);
    allClose(Array.from(X.dataSync()), [0.29552, 0.909297, -0.529836, -0.772764, 0.728969, 0.584917], 1e-6, 'sineInput(2, 3)');
    X.dispose();
    assert.throws(() => sineInput(0, 3), /sineInput: rows and cols must be positive integers, got 0 and 3/);
  });

  it('similarityByOffset: for unit vectors at angle t, the similarity at offset k is cos k', () => {
    const table = evenlySpaced(0, 1, 10).map((t) => [Math.cos(t), Math.sin(t)]);
    allClose(similarityByOffset(table, 5, 2), [Math.cos(2), Math.cos(1), 1, Math.cos(1), Math.cos(2)], 1e-12, 'ref 5');
    allClose(similarityByOffset(table, 2, 2), similarityByOffset(table, 7, 2), 1e-12, 'ref 2 against ref 7');
    assert.throws(() => similarityByOffset(table, 8, 2), /similarityByOffset: rows 6\.\.10 are not all in the table \(0\.\.9\)/);
  });
});

describe('RoPE scores and attention (notebook 4)', () => {
  // d = 2: one pair, theta_0 = 1, R_t the rotation by t radians.
  it('ropeScore: <R_m q, R_n k> for q = k = e_1 is cos(n - m); for k = e_2 it is sin(m - n)', () => {
    close(ropeScore([1, 0], [1, 0], 3, 5), Math.cos(2), 1e-12, 'cos');
    close(ropeScore([1, 0], [0, 1], 3, 5), Math.sin(-2), 1e-12, 'sin');
    const S = ropeScoreMatrix([1, 0], [1, 0], 3);
    [[1, Math.cos(1), Math.cos(2)], [Math.cos(1), 1, Math.cos(1)], [Math.cos(2), Math.cos(1), 1]].forEach((row, m) => allClose(S[m], row, 1e-12, `S[${m}]`));
    allClose(ropeScoresAtOffsets([1, 0], [0, 1], 5, [-1, 0, 1]), [Math.sin(1), 0, -Math.sin(1)], 1e-12, 'offsets');
    assert.throws(() => ropeScore([1, 0], [1, 0, 0, 0], 0, 0), /ropeScore: q has dimension 2 but k has 4/);
  });

  it('ropeFormsMaxDifference: the complex and matrix forms agree; 0 for a zero tensor', () => {
    const zero = tf.zeros([1, 1, 3, 4]) as tf.Tensor4D;
    assert.equal(ropeFormsMaxDifference(zero), 0);
    const x = tf.tensor4d(new Rng(0).normals(2 * 2 * 5 * 8), [2, 2, 5, 8]);
    assert.ok(ropeFormsMaxDifference(x) < 1e-5);
    tf.dispose([zero, x]);
  });

  it('identicalTokensAttention: 1/T without RoPE; with RoPE the weights of offset 1 worked out by hand', () => {
    const flat = identicalTokensAttention([0.3, -1.2, 0.5, 2], 4, { rope: false });
    flat.forEach((row, m) => allClose(row, [0.25, 0.25, 0.25, 0.25], 1e-6, `row ${m}`));
    // u = (1, 0), T = 2: scores [1, cos 1] / sqrt 2 for query 0 and [cos 1, 1] / sqrt 2 for query 1, so the
    // weight on itself is sigmoid((1 - cos 1) / sqrt 2) = 0.580556.
    const rotated = identicalTokensAttention([1, 0], 2, { rope: true });
    allClose(rotated[0], [0.580556, 0.419444], 1e-5, 'row 0');
    allClose(rotated[1], [0.419444, 0.580556], 1e-5, 'row 1');
  });
});

describe('span corruption, measured (notebook 6)', () => {
  it('countedTargets: the targets that are not PAD', () => {
    const vocab = Vocab.fromCorpus('ab');
    const [a, b] = vocab.encode('ab');
    assert.equal(countedTargets(vocab, { x: Int32Array.from([a, a, a, a, a]), y: Int32Array.from([a, vocab.padId, b, vocab.padId, vocab.padId]) }), 2);
  });

  it('spanLengthStats: documents of 4 characters always give L = 4 and m = 1', () => {
    const text = 'abcd\ndcba\nbcda';
    const dataset = new CharCorruptionDataset(Vocab.fromCorpus(text), text, 16);
    const s = spanLengthStats(dataset, 200, new Rng(3));
    assert.deepEqual([s.draws, s.meanL, s.meanM, s.ratioOfMeans, s.meanRatio, s.worstStandardErrors], [200, 4, 1, 0.25, 0.25, 0]);
    assert.deepEqual(s.byLength, { lengths: [4], draws: [200], meanMasked: [1], expectedMasked: [1], quarterLength: [1] });
    assert.equal(s.truncatedLengths.length, 200);
    assert.throws(() => spanLengthStats(dataset, 0, new Rng(3)), /spanLengthStats: draws must be a positive integer, got 0/);
  });

  it('spanLengthStats: a 6-character document with B = 9 gives L = 4, 5, 6 and m = 1, 1, 1 or 2', () => {
    // floor(7 * 9 / 8) = 7: L = min(6, uniform 4..7). K = max(1, floor(L/2) - 1) = 1, 1, 2: m = 1, 1, uniform {1, 2}.
    const text = 'abcdef';
    const dataset = new CharCorruptionDataset(Vocab.fromCorpus(text), text, 9);
    const s = spanLengthStats(dataset, 4000, new Rng(5));
    assert.deepEqual(s.byLength.lengths, [4, 5, 6]);
    assert.deepEqual(s.byLength.expectedMasked, [1, 1, 1.5]);
    assert.deepEqual(s.byLength.quarterLength, [1, 1.25, 1.5]);
    assert.deepEqual(s.byLength.meanMasked.slice(0, 2), [1, 1]);
    // L = 6 in half the draws (a draw of 6 or 7): about 2000 draws, standard error of m's mean 0.5 / sqrt(2000) = 0.011.
    close(s.byLength.meanMasked[2], 1.5, 0.05, 'mean m at L = 6');
    close(s.byLength.draws[2] / 4000, 0.5, 0.05, 'share of L = 6');
    assert.ok(s.worstStandardErrors < 4, `${s.worstStandardErrors}`);
  });

  it('documentsAtLeast: counts characters, not UTF-16 units', () => {
    const text = 'abcd\nabcdef\nabcdefgh\néééé😀';
    const dataset = new CharCorruptionDataset(Vocab.fromCorpus(text), text, 16);
    assert.equal(documentsAtLeast(dataset, 6), 2); // '😀' is two UTF-16 units but one character: 'éééé😀' has 5
    assert.equal(documentsAtLeast(dataset, 4), 4);
  });

  it('corruptionExampleHtml: the document with its span marked, then the training string, escaped', () => {
    const html = corruptionExampleHtml({ index: 3, document: 'a<cdefgh', parts: { prefix: 'a<', masked: 'c', suffix: 'd', truncatedLength: 4 } }, 9);
    assert.match(html, /<b>document 3<\/b>: L = 4, m = 1 \(L\/4 = 1\.0\)/);
    assert.ok(html.includes('<div>a&lt;<span style="background:#fdb863;color:#000">c</span>d<span style="color:#aaa">efgh</span></div>'), html);
    // 9 - 4 - 2 MASKs = 3 PADs.
    assert.ok(html.includes(`<div>a&lt;<span style="background:#5e3c99;color:#fff">${MASK_CHAR}</span>d<span style="background:#5e3c99;color:#fff">${MASK_CHAR}</span>` +
      `<span style="background:#fdb863;color:#000">c</span><span style="color:#aaa">${PAD_CHAR.repeat(3)}</span></div>`), html);
    const both = corruptionExamplesHtml([{ index: 3, document: 'a<cdefgh', parts: { prefix: 'a<', masked: 'c', suffix: 'd', truncatedLength: 4 } }], 9);
    assert.ok(both.startsWith('<div style="font-family:monospace;white-space:pre-wrap;line-height:1.5"><p'));
    assert.throws(() => corruptionExampleHtml({ index: 0, document: 'abcdefgh', parts: { prefix: 'abc', masked: 'de', suffix: 'fgh', truncatedLength: 8 } }, 9),
      /corruptionExampleHtml: document 0 does not fit in a block of 9 characters/);
  });
});
