/**
 * minGPT's learning-rate schedule, driven by the number of tokens trained on rather than by the step count:
 * a linear warm-up from 0 to the base rate over `warmupTokens`, then a half cosine down towards 0 at
 * `finalTokens`, never below 10% of the base rate:
 *
 *   mult(t) = t / warmup                                                      if t < warmup
 *           = max(0.1, (1 + cos(pi * (t - warmup) / (final - warmup))) / 2)   otherwise
 *
 * Faithful to trainer.py, the progress (t - warmup) / (final - warmup) is not clamped at 1: past
 * final_tokens the cosine climbs again. The 10% floor holds for progress in [0.795, 1.205]; then the rate
 * rises back to the peak at progress 2 and falls again. The course's pretraining sets final_tokens at its
 * 650th epoch, so it never gets there; its earlier years set it at the 200th of 650, and their runs went
 * through about two more cosine half-waves after the first decay. `clampProgress` gives the "decay then stay
 * at 10%" reading instead.
 *
 * Counting tokens makes the schedule independent of the batch size. Which tokens count: minGPT adds
 * (y >= 0).sum() per batch, meant to skip the -100 "ignore" labels. The course's datasets pad targets with
 * the PAD index 0 instead of -100, so there every target position counts, padding included: each batch adds
 * batch_size * (block_size - 1) (its rows are x = s[:-1] of a block_size string). 'block' counting follows
 * the course, which is what its warmup_tokens and final_tokens were tuned for.
 */
import type { Batch } from '../data/batch';

export interface LrSchedule {
  /** The base (peak) learning rate. */
  learningRate: number;
  /** false: constant rate (minGPT's lr_decay = False). */
  decay: boolean;
  warmupTokens: number;
  finalTokens: number;
  /** Stay at the floor after final_tokens instead of following the cosine back up (default false, as minGPT). */
  clampProgress?: boolean;
}

/** The multiplier of the base rate after `tokens` tokens. */
export function lrMultiplier(tokens: number, s: Pick<LrSchedule, 'decay' | 'warmupTokens' | 'finalTokens' | 'clampProgress'>): number {
  if (!s.decay) return 1;
  if (tokens < s.warmupTokens) return tokens / Math.max(1, s.warmupTokens);
  const raw = (tokens - s.warmupTokens) / Math.max(1, s.finalTokens - s.warmupTokens);
  const progress = s.clampProgress ? Math.min(1, raw) : raw;
  return Math.max(0.1, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** The learning rate after `tokens` tokens. */
export function learningRateAt(tokens: number, s: LrSchedule): number {
  return s.learningRate * lrMultiplier(tokens, s);
}

/**
 * The tokens a batch adds to the schedule's counter. 'block' (the course's behaviour): every target position
 * of the padded rows, batchSize * paddedTime, even when the batch was trimmed of its all-PAD columns.
 * 'useful': only the non-PAD targets (what minGPT's (y >= 0) would count if padding were labelled -100).
 */
export type TokenCounting = 'block' | 'useful';

export function tokensInBatch(counting: TokenCounting, b: Pick<Batch, 'batchSize' | 'time' | 'paddedTime' | 'usefulTokens'>): number {
  return counting === 'block' ? b.batchSize * (b.paddedTime ?? b.time) : b.usefulTokens;
}

/** Checks a schedule, naming the bad field. */
export function validateSchedule(s: LrSchedule, where = 'schedule'): void {
  if (!(s.learningRate > 0) || !Number.isFinite(s.learningRate)) throw new Error(`${where}: learningRate must be a positive number, got ${s.learningRate}`);
  if (!(s.warmupTokens >= 0)) throw new Error(`${where}: warmupTokens must be >= 0, got ${s.warmupTokens}`);
  if (s.decay && !(s.finalTokens > s.warmupTokens)) {
    throw new Error(`${where}: finalTokens (${s.finalTokens}) must exceed warmupTokens (${s.warmupTokens})`);
  }
}
