/**
 * minGPT's training loop (Karpathy's trainer.py, as used by the course), for any model that can say its
 * parameters and compute a loss:
 *
 * - AdamW, betas (0.9, 0.95), weight decay on the parameters `weightDecayOn` picks: 'matmul-weights' (the
 *   default) are the Linear weights the model names, as in minGPT's configure_optimizers; 'course-names' is
 *   the course's trainer.py, which skips only names containing "bias" or "LayerNorm.weight": with the course
 *   model's ln1/ln2/ln_f names that decays the embeddings, pos_emb and the LayerNorm gains too;
 * - gradients clipped to a global norm of 1.0;
 * - the learning rate warmed up and cosine-decayed by tokens seen (schedule.ts);
 * - the examples shuffled every epoch (minGPT's DataLoader(shuffle=True)) or, with `shuffle: false`, taken in
 *   order as the course's trainer.py does; the last partial batch kept.
 *
 * Unlike trainer.py, everything random is a pure function of (seed, step): the epoch's permutation comes from
 * (seed, epoch), the data corruption and the dropout masks from (seed, step). So a run resumed from a
 * checkpoint (weights, optimizer moments, step, tokens, loss curve) continues exactly as if never stopped.
 *
 * One quirk kept from trainer.py: it sets the learning rate *after* each optimizer step, from the tokens
 * seen including that batch, so the very first step runs at the base rate, and step s > 0 at the rate of
 * the tokens of the first s batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/batch';
import { AdamW, AdamWState, clipByGlobalNorm } from './optim';
import { LrSchedule, TokenCounting, learningRateAt, tokensInBatch, validateSchedule } from './schedule';
import { Rng } from '../util/random';
import { WeightedPart, splitByLength, sumWeightedGrads } from './micro_batches';
import { GradientHelper, balanceParts, flattenParams, unflatten } from './parallel';

/** What the trainer needs of a model (lib/mingpt/model.ts's GPT has it). */
export interface TrainableModel {
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** The parameter names that get weight decay. */
  decayParamNames(): Iterable<string>;
  /** Mean cross-entropy of next-token prediction; `seed` fixes the dropout masks. */
  loss(idx: tf.Tensor2D, targets: tf.Tensor2D, opts: { training: boolean; seed: number }): tf.Scalar;
}

/** A batch of token ids, row-major [batchSize, time] (lib/data's collate makes them). */
export type { Batch };

/** The training data: `batch` turns example indices into a batch; `seed` drives any random corruption. */
export interface BatchSource {
  readonly length: number;
  batch(indices: readonly number[], seed: number): Batch;
}

export interface TrainerConfig extends LrSchedule {
  maxEpochs: number;
  batchSize: number;
  /** Rows per forward/backward pass; the gradients of a batch's slices are summed (saves memory). Default: the whole batch. */
  microBatchSize?: number;
  betas: [number, number];
  gradNormClip: number;
  weightDecay: number;
  tokenCounting: TokenCounting;
  /** Reshuffle the examples each epoch (minGPT's DataLoader(shuffle=True)); the course's trainer.py does not. */
  shuffle: boolean;
  /** Which parameters get weight decay (default 'matmul-weights'); see `decayedParamNames`. */
  weightDecayOn?: WeightDecayRule;
  seed: number;
}

/**
 * 'matmul-weights': the weights of the Linear layers (minGPT's configure_optimizers).
 * 'course-names': every parameter whose name contains neither "bias" nor "LayerNorm.weight" (the course's
 * trainer.py, written for Hugging Face names; here it decays the embeddings and LayerNorm gains as well).
 */
export type WeightDecayRule = 'matmul-weights' | 'course-names';
export const WEIGHT_DECAY_RULES: readonly WeightDecayRule[] = ['matmul-weights', 'course-names'];

/** The names of the parameters that get weight decay under `rule`. */
export function decayedParamNames(model: Pick<TrainableModel, 'params' | 'decayParamNames'>, rule: WeightDecayRule = 'matmul-weights'): string[] {
  if (rule === 'matmul-weights') return [...model.decayParamNames()];
  return [...model.params.keys()].filter((name) => !name.includes('bias') && !name.includes('LayerNorm.weight'));
}

/**
 * The hyperparameters every run shares (trainer.py's TrainerConfig as the course sets them), with minGPT's habits:
 * the `full` preset replaces `shuffle` and `weightDecayOn` with the course's trainer.py (presets.ts).
 */
export const MINGPT_TRAINER_DEFAULTS = {
  betas: [0.9, 0.95] as [number, number],
  gradNormClip: 1.0,
  weightDecay: 0.1,
  decay: true,
  tokenCounting: 'block' as TokenCounting,
  shuffle: true,
};

export interface CurvePoint {
  /** 1-based number of the update. */
  step: number;
  epoch: number;
  /** Tokens counted by the schedule after this step. */
  tokens: number;
  loss: number;
  /** Learning rate used by this step. */
  lr: number;
}

export interface StepInfo extends CurvePoint {
  totalSteps: number;
  /** Throughput of the real (non-padding) tokens since this session of training started. */
  tokensPerSec: number;
  /** Seconds left at the current speed. */
  etaSeconds: number;
}

/** Everything, besides the model's weights, needed to resume training exactly. */
export interface TrainerState {
  step: number;
  tokens: number;
  curve: CurvePoint[];
  optimizer: AdamWState;
  /** Seconds spent training over every session of the run so far, and how many sessions that was. */
  seconds: number;
  sessions: number;
}

export interface TrainOptions {
  onStep?: (info: StepInfo) => void;
  /** Polled before each step; when it returns true the trainer checkpoints and returns. */
  shouldStop?: () => boolean;
  /** Called every `checkpointEverySteps` steps / `checkpointEverySeconds` seconds, on stop, and at the end. */
  onCheckpoint?: (trainer: Trainer) => void;
  /**
   * Called after the last step of each epoch (1-based), before any checkpoint of that step. Returning true asks
   * for a checkpoint right after it (unless it is the run's last step, whose model the caller writes anyway).
   */
  onEpochEnd?: (epoch: number, trainer: Trainer) => boolean | void;
  checkpointEverySteps?: number;
  checkpointEverySeconds?: number;
  /** Stop after this global step even if epochs remain (used by tests and the resume demo). */
  stopAfterStep?: number;
}

export interface TrainResult {
  completed: boolean;
  steps: number;
  tokens: number;
  finalLoss: number;
  /** Seconds this session trained. */
  seconds: number;
  /** Seconds every session of the run trained (this one included), and how many sessions that was. */
  totalSeconds: number;
  sessions: number;
  curve: CurvePoint[];
}

/** Thrown when the loss or the gradient norm stops being a finite number. */
export class TrainingDivergedError extends Error {
  constructor(readonly step: number, readonly loss: number, readonly gradNorm: number) {
    super(`training diverged at step ${step}: loss ${loss}, gradient norm ${gradNorm}; ` +
      'the update was not applied and the last good checkpoint was kept (try a lower learning rate)');
    this.name = 'TrainingDivergedError';
  }
}

/** A 32-bit seed that depends on every argument (splitmix-style mixing), for "pure function of (seed, step)". */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

const PURPOSE = { permutation: 1, data: 2, dropout: 3 } as const;

export class Trainer {
  readonly config: TrainerConfig;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly optimizer: AdamW;
  private step = 0;
  private tokens = 0;
  private curve: CurvePoint[] = [];
  /** Training time and sessions before the current session (restored with the state). */
  private earlierSeconds = 0;
  private earlierSessions = 0;
  private sessionStart: number | undefined;
  private permutation: { epoch: number; order: number[] } | undefined;

  /**
   * @param runtime what is not configuration: a helper thread that computes part of every batch
   *   (`GradientHelper.start(model.config)`; used when the batch is split into micro-batches).
   */
  constructor(readonly model: TrainableModel, readonly data: BatchSource, config: TrainerConfig,
    private readonly runtime: { helper?: GradientHelper } = {}) {
    validateTrainerConfig(config);
    if (data.length <= 0) throw new Error('Trainer: the training dataset is empty');
    this.config = config;
    this.stepsPerEpoch = Math.ceil(data.length / config.batchSize);
    this.totalSteps = this.stepsPerEpoch * config.maxEpochs;
    this.optimizer = new AdamW(model.params, decayedParamNames(model, config.weightDecayOn), {
      betas: config.betas, eps: 1e-8, weightDecay: config.weightDecay,
    });
  }

  /** Steps done so far. */
  get stepsDone(): number {
    return this.step;
  }

  /** Tokens the schedule has counted so far. */
  get tokensSeen(): number {
    return this.tokens;
  }

  /** The parameters that get weight decay. */
  decayParamNames(): string[] {
    return this.optimizer.decayNames();
  }

  /** The loss curve so far (one point per step). */
  lossCurve(): readonly CurvePoint[] {
    return this.curve;
  }

  /** The learning rate step `s` (0-based) uses: the base rate first, then the schedule at the tokens seen. */
  lrForStep(s: number, tokensBefore: number): number {
    return s === 0 ? this.config.learningRate : learningRateAt(tokensBefore, this.config);
  }

  /** The example indices of global step `s`: a slice of the permutation of its epoch, the last one maybe short. */
  batchIndices(s: number): number[] {
    const epoch = Math.floor(s / this.stepsPerEpoch);
    const it = s % this.stepsPerEpoch;
    if (!this.permutation || this.permutation.epoch !== epoch) {
      const all = Array.from({ length: this.data.length }, (_, i) => i);
      const order = this.config.shuffle ? new Rng(mixSeed(this.config.seed, PURPOSE.permutation, epoch)).shuffle(all) : all;
      this.permutation = { epoch, order };
    }
    return this.permutation.order.slice(it * this.config.batchSize, (it + 1) * this.config.batchSize);
  }

  /** Seconds trained over every session so far (the current one up to now). */
  get trainingSeconds(): number {
    return this.earlierSeconds + (this.sessionStart === undefined ? 0 : (Date.now() - this.sessionStart) / 1000);
  }

  getState(): TrainerState {
    return {
      step: this.step, tokens: this.tokens, curve: this.curve.slice(), optimizer: this.optimizer.getState(),
      seconds: this.trainingSeconds, sessions: this.earlierSessions + (this.sessionStart === undefined ? 0 : 1),
    };
  }

  setState(state: TrainerState): void {
    if (!(state.step >= 0 && state.step <= this.totalSteps)) {
      throw new Error(`Trainer.setState: saved step ${state.step} is outside this run's 0..${this.totalSteps} steps`);
    }
    this.optimizer.setState(state.optimizer);
    this.step = state.step;
    this.tokens = state.tokens;
    this.curve = state.curve.slice();
    this.earlierSeconds = state.seconds;
    this.earlierSessions = state.sessions;
    this.sessionStart = undefined;
  }

  /**
   * One optimization step on `batch` at learning rate `lr`. Returns the loss and the gradient norm before
   * clipping; when either is not finite the update is skipped. All intermediate tensors are freed.
   */
  trainStep(batch: Batch, lr: number, dropoutSeed: number): { loss: number; gradNorm: number } {
    const entries = [...this.model.params.entries()];
    return tf.tidy(() => {
      const { loss: value, grads: byName } = this.lossAndGrads(batch, dropoutSeed, entries);
      const { grads: clipped, norm } = clipByGlobalNorm(byName, this.config.gradNormClip);
      const [loss, gradNorm] = tf.stack([value, norm]).dataSync();
      if (Number.isFinite(loss) && Number.isFinite(gradNorm)) this.optimizer.apply(clipped, lr);
      return { loss, gradNorm };
    });
  }

  /**
   * The batch's mean loss and its gradients by parameter name. With `microBatchSize`, the rows go through
   * the model in slices and the gradients are summed, each slice weighted by its share of the non-PAD
   * targets, which gives the gradient of the whole batch's mean loss with a fraction of the memory.
   * Rows are grouped by length first, so each slice computes only up to its own longest row.
   * (Each slice draws its own dropout seed, so the numbers differ slightly from an unsliced step.)
   */
  private lossAndGrads(batch: Batch, dropoutSeed: number, entries: [string, tf.Variable][]): { loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const vars = entries.map(([, v]) => v);
    const byName = (grads: tf.NamedTensorMap): Record<string, tf.Tensor> => {
      const out: Record<string, tf.Tensor> = {};
      for (const [name, v] of entries) if (grads[v.name]) out[name] = grads[v.name];
      return out;
    };
    const { batchSize: B, time: T } = batch;
    const micro = this.config.microBatchSize ?? B;
    if (micro >= B) {
      const x = tf.tensor2d(batch.x, [B, T], 'int32');
      const y = tf.tensor2d(batch.y, [B, T], 'int32');
      const { value, grads } = tf.variableGrads(() => this.model.loss(x, y, { training: true, seed: dropoutSeed }), vars);
      return { loss: value, grads: byName(grads) };
    }
    // Rows sorted by length and cut after each part's own last real target (micro_batches.ts):
    // exact, and short rows no longer pay for the longest one.
    const split = splitByLength(batch, micro);
    const total = Math.max(1, split.reduce((n, p) => n + p.usefulTokens, 0));
    const parts: WeightedPart[] = [];
    split.forEach((part, k) => {
      // An all-PAD part adds nothing to the loss or the gradients.
      if (part.usefulTokens > 0) parts.push({ ...part, weight: part.usefulTokens / total, seed: mixSeed(dropoutSeed, k) });
    });
    const helper = this.runtime.helper;
    if (!helper || parts.length < 2) return sumWeightedGrads(this.model, parts);
    // Two threads: the helper computes its share while this thread computes the rest (lib/mingpt/parallel.ts).
    const { local, remote } = balanceParts(parts);
    helper.post(flattenParams(this.model.params), remote);
    const mine = sumWeightedGrads(this.model, local);
    const theirs = helper.wait();
    const remoteGrads = unflatten(theirs.grads, this.model.params);
    const grads: Record<string, tf.Tensor> = {};
    for (const [name, g] of remoteGrads) grads[name] = mine.grads[name] ? tf.add(mine.grads[name], g) : g;
    return { loss: tf.add(mine.loss, theirs.loss) as tf.Scalar, grads };
  }

  /** Trains from the current step to the end (or until stopped). */
  async train(opts: TrainOptions = {}): Promise<TrainResult> {
    const start = Date.now();
    this.sessionStart = start;
    let lastCheckpoint = start;
    let stepsSinceCheckpoint = 0;
    let usefulTokens = 0;
    const startStep = this.step;
    const end = Math.min(this.totalSteps, opts.stopAfterStep ?? Infinity);
    const checkpoint = (): void => {
      opts.onCheckpoint?.(this);
      lastCheckpoint = Date.now();
      stepsSinceCheckpoint = 0;
    };
    while (this.step < end) {
      // Let signal handlers (Ctrl-C) and timers run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.shouldStop?.()) {
        checkpoint();
        return this.result(false, start);
      }
      const s = this.step;
      const batch = this.data.batch(this.batchIndices(s), mixSeed(this.config.seed, PURPOSE.data, s));
      const lr = this.lrForStep(s, this.tokens);
      const { loss, gradNorm } = this.trainStep(batch, lr, mixSeed(this.config.seed, PURPOSE.dropout, s));
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) throw new TrainingDivergedError(s + 1, loss, gradNorm);
      this.tokens += tokensInBatch(this.config.tokenCounting, batch);
      usefulTokens += batch.usefulTokens;
      this.step = s + 1;
      const point: CurvePoint = { step: this.step, epoch: Math.floor(s / this.stepsPerEpoch) + 1, tokens: this.tokens, loss, lr };
      this.curve.push(point);
      stepsSinceCheckpoint++;
      // A hook that asks for it (one that wrote a snapshot) gets a checkpoint at once, so a resume starts after it.
      const checkpointNow = this.step % this.stepsPerEpoch === 0 && opts.onEpochEnd?.(this.step / this.stepsPerEpoch, this) === true;
      if (opts.onStep) {
        const elapsed = Math.max(1e-3, (Date.now() - start) / 1000);
        const perStep = elapsed / (this.step - startStep);
        opts.onStep({ ...point, totalSteps: this.totalSteps, tokensPerSec: usefulTokens / elapsed, etaSeconds: perStep * (this.totalSteps - this.step) });
      }
      const dueBySteps = opts.checkpointEverySteps !== undefined && stepsSinceCheckpoint >= opts.checkpointEverySteps;
      const dueByTime = opts.checkpointEverySeconds !== undefined && Date.now() - lastCheckpoint >= opts.checkpointEverySeconds * 1000;
      if ((checkpointNow || dueBySteps || dueByTime) && this.step < end) checkpoint();
    }
    checkpoint();
    return this.result(this.step >= this.totalSteps, start);
  }

  private result(completed: boolean, start: number): TrainResult {
    const last = this.curve[this.curve.length - 1];
    const result: TrainResult = {
      completed, steps: this.step, tokens: this.tokens, finalLoss: last ? last.loss : NaN,
      seconds: (Date.now() - start) / 1000, totalSeconds: this.trainingSeconds, sessions: this.earlierSessions + 1,
      curve: this.curve.slice(),
    };
    // The session is over: its time now counts as earlier time (a later train() call is a new session).
    this.earlierSeconds = result.totalSeconds;
    this.earlierSessions = result.sessions;
    this.sessionStart = undefined;
    return result;
  }

  /** Frees the optimizer's moments (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Checks a trainer configuration, naming the bad field. */
export function validateTrainerConfig(c: TrainerConfig): void {
  const positiveInt = (name: keyof TrainerConfig, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`trainer config: ${String(name)} must be a positive integer, got ${v}`);
  };
  positiveInt('maxEpochs', c.maxEpochs);
  positiveInt('batchSize', c.batchSize);
  if (c.microBatchSize !== undefined) positiveInt('microBatchSize', c.microBatchSize);
  if (!(c.gradNormClip > 0)) throw new Error(`trainer config: gradNormClip must be positive, got ${c.gradNormClip}`);
  if (!(c.weightDecay >= 0)) throw new Error(`trainer config: weightDecay must be >= 0, got ${c.weightDecay}`);
  if (c.weightDecayOn !== undefined && !WEIGHT_DECAY_RULES.includes(c.weightDecayOn)) {
    throw new Error(`trainer config: weightDecayOn must be one of ${WEIGHT_DECAY_RULES.join(', ')}, got ${JSON.stringify(c.weightDecayOn)}`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`trainer config: seed must be an integer, got ${c.seed}`);
  validateSchedule(c, 'trainer config');
}
