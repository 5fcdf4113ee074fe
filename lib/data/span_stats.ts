/**
 * How long the masked span of span corruption is, measured: draw many corruptions and compare the mean masked
 * length m at each truncated length L with what the rule predicts. The span is uniform on 1 .. K with
 * K = max(1, floor(L/2) - 1), so its mean is (K + 1) / 2 = floor(L/2) / 2 (L >= 4) and its standard deviation
 * sqrt((K^2 - 1) / 12).
 */
import type { Rng } from '../util/random';
import type { CharCorruptionDataset } from './char_corruption';

/** The draws grouped by truncated length, one entry per length that occurred, in increasing order of L. */
export interface SpanLengthsByL {
  lengths: number[];
  /** How many draws had this L. */
  draws: number[];
  /** The measured mean masked length at this L. */
  meanMasked: number[];
  /** The predicted mean, (K + 1) / 2 = floor(L/2) / 2. */
  expectedMasked: number[];
  /** L / 4, the "quarter of the text" the rule aims at. */
  quarterLength: number[];
}

export interface SpanLengthStats {
  draws: number;
  /** Mean truncated length and mean masked length over all draws. */
  meanL: number;
  meanM: number;
  /** mean m / mean L, and the mean of m / L over the draws. */
  ratioOfMeans: number;
  meanRatio: number;
  /** L of every draw, and m / L of every draw, in the order drawn. */
  truncatedLengths: number[];
  ratios: number[];
  byLength: SpanLengthsByL;
  /** The largest |measured mean - predicted mean| at one L, in standard errors of that mean. */
  worstStandardErrors: number;
}

/** Corrupts `draws` documents picked uniformly at random (with `rng`) and measures the masked lengths. */
export function spanLengthStats(dataset: CharCorruptionDataset, draws: number, rng: Rng): SpanLengthStats {
  if (!Number.isInteger(draws) || draws <= 0) throw new Error(`spanLengthStats: draws must be a positive integer, got ${draws}`);
  const sums = new Map<number, { n: number; m: number }>();
  const truncatedLengths: number[] = [];
  const ratios: number[] = [];
  let sumL = 0;
  let sumM = 0;
  let sumRatio = 0;
  for (let k = 0; k < draws; k++) {
    const p = dataset.corrupt(dataset.documents[rng.int(0, dataset.length - 1)], rng);
    const L = p.truncatedLength;
    const m = [...p.masked].length;
    const s = sums.get(L) ?? { n: 0, m: 0 };
    s.n++;
    s.m += m;
    sums.set(L, s);
    truncatedLengths.push(L);
    ratios.push(m / L);
    sumL += L;
    sumM += m;
    sumRatio += m / L;
  }
  const lengths = [...sums.keys()].sort((a, b) => a - b);
  const byLength: SpanLengthsByL = { lengths, draws: [], meanMasked: [], expectedMasked: [], quarterLength: [] };
  let worstStandardErrors = 0;
  for (const L of lengths) {
    const s = sums.get(L)!;
    const K = Math.max(1, Math.floor(L / 2) - 1);
    const mean = s.m / s.n;
    byLength.draws.push(s.n);
    byLength.meanMasked.push(mean);
    byLength.expectedMasked.push(Math.floor(L / 2) / 2);
    byLength.quarterLength.push(L / 4);
    const standardError = Math.sqrt((K * K - 1) / 12 / s.n);
    if (standardError > 0) worstStandardErrors = Math.max(worstStandardErrors, Math.abs(mean - (K + 1) / 2) / standardError);
  }
  return { draws, meanL: sumL / draws, meanM: sumM / draws, ratioOfMeans: sumM / sumL, meanRatio: sumRatio / draws, truncatedLengths, ratios, byLength, worstStandardErrors };
}

/** How many documents have at least `length` characters (code points). */
export function documentsAtLeast(dataset: CharCorruptionDataset, length: number): number {
  let n = 0;
  for (const doc of dataset.documents) if ([...doc].length >= length) n++;
  return n;
}
