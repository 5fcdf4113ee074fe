/**
 * The constructions behind the attention derivations, as functions: which query makes attention copy one
 * value, which averages two, and why a single head is fragile when one key varies a lot while two heads are not.
 *
 * Every random vector here is drawn from a seeded `Rng`, so a notebook and a test see the same numbers.
 */
import { Rng } from '../util/random';
import { averagedHeads } from './multi_head';
import { AttentionResult, singleHeadAttention } from './single_head';
import { Vec, add, dot, norm, scale, sub } from './vector';

/**
 * `count` orthonormal vectors of dimension `dim`: Gaussian draws made orthogonal by Gram-Schmidt.
 */
export function orthonormalVectors(count: number, dim: number, rng: Rng): Vec[] {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`orthonormalVectors: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(dim) || count > dim) throw new Error(`orthonormalVectors: cannot fit ${count} orthonormal vectors in dimension ${dim} (need count <= dim)`);
  const basis: Vec[] = [];
  while (basis.length < count) {
    let v: Vec = Array.from(rng.normals(dim));
    // Modified Gram-Schmidt: remove the part along each earlier vector, one at a time.
    for (const u of basis) v = sub(v, scale(u, dot(v, u)));
    const n = norm(v);
    if (n > 1e-6) basis.push(scale(v, 1 / n)); // a draw (almost) in the span is simply redrawn
  }
  return basis;
}

/** Keys and values for the derivations: n orthonormal keys (or key means) and n orthonormal values. */
export interface AttentionSetup {
  keys: Vec[];
  values: Vec[];
}

export function orthonormalSetup(opts: { n: number; dim: number; seed: number }): AttentionSetup {
  const rng = new Rng(opts.seed);
  return { keys: orthonormalVectors(opts.n, opts.dim, rng), values: orthonormalVectors(opts.n, opts.dim, rng) };
}

function checkIndex(i: number, n: number, name: string, where: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${where}: ${name}=${i} is not a key index in [0, ${n - 1}]`);
}

/**
 * Copying: the query, scaled by beta, that makes attention over orthonormal keys put more and more of its weight
 * on key j as beta grows, so that c -> v_j (notebook 1 derives it and the weight on j).
 */
export function copyingQuery(keys: readonly Vec[], j: number, beta: number): Vec {
  checkIndex(j, keys.length, 'j', 'copyingQuery');
  // BEGIN SOLUTION single-head attention
  return scale(keys[j], beta);
  // END SOLUTION
}

/**
 * Average of two: the query, scaled by beta, that makes attention over orthonormal keys split its weight evenly
 * between keys a and b as beta grows, so that c -> (v_a + v_b) / 2 (notebook 1 derives it).
 */
export function averagingQuery(keys: readonly Vec[], a: number, b: number, beta: number): Vec {
  checkIndex(a, keys.length, 'a', 'averagingQuery');
  checkIndex(b, keys.length, 'b', 'averagingQuery');
  if (a === b) throw new Error(`averagingQuery: a and b must be two different keys, got ${a} twice`);
  // BEGIN SOLUTION single-head attention
  return scale(add(keys[a], keys[b]), beta);
  // END SOLUTION
}

/**
 * Two heads that together average v_a and v_b when the keys are drawn around the means `means`: the queries
 * (q_1, q_2), scaled by beta, whose averaged outputs (c_1 + c_2) / 2 stay near (v_a + v_b) / 2 even when k_a varies
 * a lot along mu_a (notebook 2 derives them).
 */
export function twoHeadQueries(means: readonly Vec[], a: number, b: number, beta: number): [Vec, Vec] {
  checkIndex(a, means.length, 'a', 'twoHeadQueries');
  checkIndex(b, means.length, 'b', 'twoHeadQueries');
  // BEGIN SOLUTION multi-head attention
  return [scale(means[a], beta), scale(means[b], beta)];
  // END SOLUTION
}

/** How far a set of random keys strays from its means. */
export interface KeyNoise {
  /**
   * Every key gets isotropic noise of covariance alpha I. (The course's handout calls this variance alpha; notebooks
   * 1 and 2 write sigma^2, because there alpha is the attention weights.)
   */
  alpha: number;
  /**
   * Optionally, key `index` also varies along its own mean: covariance alpha I + amount mu mu^T
   * (amount 1/2 in the derivation), i.e. k = gamma mu + noise with gamma ~ N(1, amount) when |mu| = 1.
   */
  stretch?: { index: number; amount: number };
}

/** One draw of keys k_i ~ N(mu_i, alpha I), with the optional extra variance along one mean. */
export function sampleKeys(means: readonly Vec[], noise: KeyNoise, rng: Rng): Vec[] {
  if (!(noise.alpha >= 0)) throw new Error(`sampleKeys: alpha must be >= 0, got ${noise.alpha}`);
  if (noise.stretch) {
    checkIndex(noise.stretch.index, means.length, 'stretch.index', 'sampleKeys');
    if (!(noise.stretch.amount >= 0)) throw new Error(`sampleKeys: stretch.amount must be >= 0, got ${noise.stretch.amount}`);
  }
  const sd = Math.sqrt(noise.alpha);
  return means.map((mu, i) => {
    let k = mu.map((m) => m + sd * rng.normal());
    // Adding g * sqrt(amount) * mu with g ~ N(0, 1) adds covariance amount * mu mu^T.
    if (noise.stretch && noise.stretch.index === i) k = add(k, scale(mu, Math.sqrt(noise.stretch.amount) * rng.normal()));
    return k;
  });
}

/**
 * How much of c is v_a rather than v_b: <c, v_a> / (<c, v_a> + <c, v_b>). With orthonormal values this is
 * alpha_a / (alpha_a + alpha_b): 1 means c is v_a, 0 means v_b, 1/2 an even mix.
 */
export function shareOfA(c: readonly number[], va: readonly number[], vb: readonly number[]): number {
  const pa = dot(c, va);
  const pb = dot(c, vb);
  if (pa + pb === 0) throw new Error('shareOfA: c has no component along v_a or v_b');
  return pa / (pa + pb);
}

export interface VarianceExperimentOptions {
  /** 1: one head with averagingQuery(means, a, b, beta); 2: two heads with twoHeadQueries(means, a, b, beta). */
  heads: 1 | 2;
  /** How many independent key sets to draw. */
  samples: number;
  seed: number;
  /** Number of keys (default 4) and their dimension (default 8). */
  n?: number;
  dim?: number;
  /** Isotropic key noise (default 1e-4) and the extra variance of k_a along mu_a (default 1/2). */
  alpha?: number;
  stretch?: number;
  /** Query scale (default 30). */
  beta?: number;
}

export interface VarianceExperiment {
  /** shareOfA(c, v_a, v_b) for each sample (a = 0, b = 1). */
  shares: number[];
  /** |c - (v_a + v_b)/2| for each sample. */
  distancesToMidpoint: number[];
  setup: AttentionSetup;
}

/**
 * The drawback of one head, measured: draw many key sets around orthonormal means (k_a with extra variance
 * along mu_a) and record, for each, how the output divides between v_a and v_b.
 */
export function varianceExperiment(opts: VarianceExperimentOptions): VarianceExperiment {
  const { heads, samples, seed } = opts;
  const n = opts.n ?? 4;
  const dim = opts.dim ?? 8;
  const beta = opts.beta ?? 30;
  if (heads !== 1 && heads !== 2) throw new Error(`varianceExperiment: heads must be 1 or 2, got ${heads}`);
  if (!Number.isInteger(samples) || samples <= 0) throw new Error(`varianceExperiment: samples must be a positive integer, got ${samples}`);
  if (n < 2) throw new Error(`varianceExperiment: n must be at least 2 (keys a and b), got ${n}`);
  const rng = new Rng(seed);
  const setup: AttentionSetup = { keys: orthonormalVectors(n, dim, rng), values: orthonormalVectors(n, dim, rng) };
  const means = setup.keys;
  const [va, vb] = setup.values;
  const midpoint = scale(add(va, vb), 0.5);
  const noise: KeyNoise = { alpha: opts.alpha ?? 1e-4, stretch: { index: 0, amount: opts.stretch ?? 0.5 } };
  const shares: number[] = [];
  const distancesToMidpoint: number[] = [];
  for (let s = 0; s < samples; s++) {
    const keys = sampleKeys(means, noise, rng);
    let c: Vec;
    if (heads === 1) {
      c = singleHeadAttention(averagingQuery(means, 0, 1, beta), keys, setup.values).output;
    } else {
      c = averagedHeads(twoHeadQueries(means, 0, 1, beta), keys, setup.values).output;
    }
    shares.push(shareOfA(c, va, vb));
    distancesToMidpoint.push(norm(sub(c, midpoint)));
  }
  return { shares, distancesToMidpoint, setup };
}

/** Attention with the copying query for each beta: weight on key j and distance |c - v_j|. */
export function copyingSweep(setup: AttentionSetup, j: number, betas: readonly number[]): { beta: number; weight: number; distance: number; result: AttentionResult }[] {
  return betas.map((beta) => {
    const result = singleHeadAttention(copyingQuery(setup.keys, j, beta), setup.keys, setup.values);
    return { beta, weight: result.weights[j], distance: norm(sub(result.output, setup.values[j])), result };
  });
}

/**
 * Attention with the averaging query for each beta: the weights on keys a and b and the distance |c - (v_a + v_b)/2|
 * to the midpoint of their values.
 */
export function averagingSweep(setup: AttentionSetup, a: number, b: number, betas: readonly number[]): { beta: number; weightA: number; weightB: number; distance: number; result: AttentionResult }[] {
  const midpoint = scale(add(setup.values[a], setup.values[b]), 0.5);
  return betas.map((beta) => {
    const result = singleHeadAttention(averagingQuery(setup.keys, a, b, beta), setup.keys, setup.values);
    return { beta, weightA: result.weights[a], weightB: result.weights[b], distance: norm(sub(result.output, midpoint)), result };
  });
}

/** Where the draws of a variance experiment put c, as shares of all draws (the notebooks' three regions). */
export interface ShareFractions {
  /** share of v_a below 0.1: c is nearly v_b. */
  nearB: number;
  /** share of v_a above 0.9: c is nearly v_a. */
  nearA: number;
  /** share of v_a within 0.05 of 1/2: c is (nearly) the even mix. */
  evenMix: number;
}

/** The fraction of `shares` (shareOfA per draw) that fall near v_b, near v_a and near the even mix. */
export function shareFractions(shares: readonly number[]): ShareFractions {
  if (shares.length === 0) throw new Error('shareFractions: no shares');
  let nearB = 0;
  let nearA = 0;
  let evenMix = 0;
  for (const s of shares) {
    if (s < 0.1) nearB++;
    if (s > 0.9) nearA++;
    if (Math.abs(s - 0.5) < 0.05) evenMix++;
  }
  return { nearB: nearB / shares.length, nearA: nearA / shares.length, evenMix: evenMix / shares.length };
}

/**
 * For each beta, the fraction of draws of varianceExperiment (with `heads` heads, `samples` draws, seed `seed`)
 * whose output lies within 0.05 of the even mix: how large beta must be before one or two heads average.
 */
export function evenMixByBeta(heads: 1 | 2, betas: readonly number[], opts: { samples: number; seed: number }): number[] {
  return betas.map((beta) => shareFractions(varianceExperiment({ heads, samples: opts.samples, seed: opts.seed, beta }).shares).evenMix);
}

/**
 * The standard normal CDF Phi(x), from the error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7):
 * for the predicted share of draws where a stretched key flips sign, P(gamma < 0) = Phi(-1 / sd).
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
