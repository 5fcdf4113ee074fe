/**
 * A training run that may take hours or days: the Trainer (trainer.ts) with what such a run needs around it.
 *
 * - Resume: a run continues from its state file (run_state.ts) when one is there and was saved by the same
 *   settings (the fingerprint: the model, the trainer's settings, the dataset's size and the caller's identity
 *   of the run), else it starts from scratch.
 * - The state is saved every so often, when the caller asks to stop (Ctrl-C), and right after each snapshot.
 * - Snapshots: after chosen epochs the model is also written, as the model a shorter run on the same schedule
 *   would end with (points of accuracy against compute from one long run).
 * - At the end the final model is written and the state removed.
 *
 * What a run records about itself (lib/results) is the caller's business: it hears of each snapshot through
 * `onSnapshot`, and of the end through what `train` returns.
 */
import * as fs from 'fs';
import type { Vocab } from '../data/vocab';
import { ExampleDataset, datasetBatches } from './batches';
import { saveCheckpoint } from './checkpoint';
import type { GPT } from './model';
import { GradientHelper } from './parallel';
import { RunFingerprint, fingerprintMismatch, readTrainingState, restoreTrainingState, saveTrainingState } from './run_state';
import { readSafetensors } from './safetensors';
import { StepInfo, TrainResult, Trainer, TrainerConfig } from './trainer';

/**
 * Rows per forward/backward pass unless told otherwise: the fastest measured with two threads
 * (bench/README.md), peak RSS about 1.6 GB at the course's size. The course's batch of 128 does not fit the
 * wasm backend's 4 GB heap in one pass, and rows grouped by length skip their padding (micro_batches.ts).
 */
export const DEFAULT_MICRO_BATCH = 8;

/** Settings that cannot make a run: a saved state of a different run, snapshots after the last epoch. */
export class RunSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunSettingsError';
  }
}

export interface TrainingRunOptions {
  /** Where the final model goes; the snapshot after epoch e goes to snapshotFile(writingParams, e). */
  writingParams: string;
  /** Where the resumable state goes (default `<writingParams>.state`). */
  stateFile?: string;
  /**
   * What else must match for a saved state to be resumed, beside the model, the trainer's settings and the
   * dataset's length (which the run adds): e.g. the verb, the preset's name, the starting weights' file.
   */
  identity: RunFingerprint;
  /** Metadata of every model written (each adds its `runId`; snapshots add `snapshotEpoch` and the run's start). */
  checkpointMeta: Record<string, string>;
  /**
   * The run's id from its first session's start, so that every session agrees on it; the final model carries
   * it as `runId`, the snapshot after epoch e as `<id>-e<e>`.
   */
  runId: (runStartedAt: string) => string;
  vocab: Vocab;
  /** Remove a saved state and start from scratch. */
  fresh?: boolean;
  /** Epochs (1-based) after which the model is also written, each before the last epoch. */
  snapshotEpochs?: readonly number[];
  /** Rows per forward/backward pass (default: the config's, else DEFAULT_MICRO_BATCH). */
  microBatchSize?: number;
  /** 2: a helper thread computes half of each batch's micro-batches (parallel.ts). */
  threads: number;
  checkpointEverySteps?: number;
  checkpointEverySeconds?: number;
  /** Stop (as if asked to, state saved) once this many steps are done. */
  stopAfterStep?: number;
  log: (message: string) => void;
}

/** A model written after `epoch` of the run's `ofEpochs` epochs. */
export interface Snapshot {
  epoch: number;
  ofEpochs: number;
  file: string;
  /** The snapshot's own id, `<run id>-e<epoch>` (in its checkpoint's metadata as `runId`). */
  id: string;
  trainer: Trainer;
  /**
   * True when this run had written this snapshot already, in a session that ended before saving its state
   * again: the resumed session replays the same steps and writes the same model once more.
   */
  replayed: boolean;
}

export interface RunHooks {
  onStep?: (info: StepInfo) => void;
  /** Polled before each step; true saves the state and ends the session. */
  shouldStop?: () => boolean;
  /** After each snapshot's model is written (the caller records it); without it, the run logs a line. */
  onSnapshot?: (snapshot: Snapshot) => void;
}

/** Where the snapshot after `epoch` goes: `run.params` -> `run.e100.params` (or `run` -> `run.e100`). */
export function snapshotFile(writingParams: string, epoch: number): string {
  const m = /^(.*)\.params$/.exec(writingParams);
  return m ? `${m[1]}.e${epoch}.params` : `${writingParams}.e${epoch}`;
}

export class TrainingRun {
  readonly trainer: Trainer;
  /** The trainer's settings as run: the given ones with the micro-batch size. */
  readonly config: TrainerConfig;
  readonly stateFile: string;
  /** When this session started. */
  readonly sessionStarted = new Date();
  /**
   * When the run's first session started: this session's start for a new run, the saved one for a resumed
   * run (undefined for a state saved before it was kept). Every session's records and snapshots carry it.
   */
  runStartedAt: string | undefined = this.sessionStarted.toISOString();
  private readonly fingerprint: RunFingerprint;
  private readonly snapshotEpochs: readonly number[];

  /**
   * A run of `model` on `dataset`; with `threads` > 1 its helper thread is started first, unless a whole batch
   * is one micro-batch (then the helper would have nothing to do).
   */
  static async create(model: GPT, dataset: ExampleDataset, config: TrainerConfig, opts: TrainingRunOptions): Promise<TrainingRun> {
    const micro = opts.microBatchSize ?? config.microBatchSize ?? DEFAULT_MICRO_BATCH;
    const helper = opts.threads > 1 && micro < config.batchSize ? await GradientHelper.start(model.config) : undefined;
    try {
      return new TrainingRun(model, dataset, config, opts, helper);
    } catch (e) {
      await helper?.dispose();
      throw e;
    }
  }

  private constructor(readonly model: GPT, dataset: ExampleDataset, config: TrainerConfig, private readonly opts: TrainingRunOptions,
    private readonly helper: GradientHelper | undefined) {
    this.snapshotEpochs = opts.snapshotEpochs ?? [];
    const late = this.snapshotEpochs.filter((e) => e >= config.maxEpochs);
    if (late.length > 0) throw new RunSettingsError(`snapshots after epochs ${late.join(',')}: they must come before the run's last epoch (${config.maxEpochs})`);
    this.config = { ...config, microBatchSize: opts.microBatchSize ?? config.microBatchSize ?? DEFAULT_MICRO_BATCH };
    this.trainer = new Trainer(model, datasetBatches(dataset), this.config, { helper });
    this.stateFile = opts.stateFile ?? `${opts.writingParams}.state`;
    // The micro-batch size is left out: a run may resume with another one (it fits memory, not the recipe).
    const { microBatchSize: _memory, ...recipe } = config;
    this.fingerprint = { ...opts.identity, model: JSON.stringify(model.config), trainer: JSON.stringify(recipe), datasetLength: dataset.length };
  }

  /** The run's id (TrainingRunOptions.runId), known once a saved state has been read. */
  get id(): string {
    return this.opts.runId(this.runStartedAt ?? this.sessionStarted.toISOString());
  }

  /** Training threads: 2 with the helper thread, else 1. */
  get threads(): number {
    return this.helper ? 2 : 1;
  }

  /**
   * Trains from the saved state (when there is one) until the end or until asked to stop. Completed, the final
   * model is in `writingParams` and the state file is gone; stopped, the state file holds where it stopped.
   * Throws RunSettingsError for a saved state of another run, TrainingDivergedError when the loss stops being
   * a number (the last good state stays).
   */
  async train(hooks: RunHooks = {}): Promise<TrainResult> {
    const { trainer, opts } = this;
    this.resume();
    const passed = this.snapshotEpochs.filter((e) => e * trainer.stepsPerEpoch <= trainer.stepsDone);
    if (passed.length > 0) opts.log(`snapshots: epoch${passed.length > 1 ? 's' : ''} ${passed.join(',')} already done before this session, no snapshot`);
    const result = await trainer.train({
      onStep: hooks.onStep,
      shouldStop: () => hooks.shouldStop?.() === true || (opts.stopAfterStep !== undefined && trainer.stepsDone >= opts.stopAfterStep),
      onCheckpoint: (t) => {
        if (t.stepsDone >= t.totalSteps) return; // the final model is written instead
        saveTrainingState(this.stateFile, t, this.fingerprint, this.runStartedAt);
        opts.log(`checkpoint: step ${t.stepsDone}/${t.totalSteps} saved to ${this.stateFile}`);
      },
      onEpochEnd: (epoch) => this.snapshot(epoch, hooks.onSnapshot),
      checkpointEverySteps: opts.checkpointEverySteps,
      checkpointEverySeconds: opts.checkpointEverySeconds,
    });
    if (result.completed) {
      saveCheckpoint(opts.writingParams, this.model, opts.vocab, { ...opts.checkpointMeta, runId: this.id });
      if (fs.existsSync(this.stateFile)) fs.rmSync(this.stateFile);
    }
    return result;
  }

  /** Whether a state of this run is saved (after a stop or a divergence: where it can resume). */
  hasSavedState(): boolean {
    return fs.existsSync(this.stateFile);
  }

  /** Frees the optimizer's moments and stops the helper thread (the model is the caller's). */
  async dispose(): Promise<void> {
    this.trainer.dispose();
    await this.helper?.dispose();
  }

  /** Continues the saved state when there is one (after checking it is this run's), or removes it when `fresh`. */
  private resume(): void {
    const { stateFile, opts } = this;
    if (!fs.existsSync(stateFile)) return;
    if (opts.fresh) {
      fs.rmSync(stateFile);
      opts.log(`fresh start: removed the saved state ${stateFile}`);
      return;
    }
    const saved = readTrainingState(stateFile);
    const diff = fingerprintMismatch(saved.fingerprint, this.fingerprint);
    if (diff) throw new RunSettingsError(`${stateFile} holds the state of a different run (${diff})`);
    restoreTrainingState(this.trainer, saved, stateFile);
    this.runStartedAt = saved.runStartedAt;
    opts.log(`resuming from ${stateFile} at step ${this.trainer.stepsDone}/${this.trainer.totalSteps}`);
  }

  /** After each epoch: writes the snapshot when one is due, and asks for the state to be saved right after it. */
  private snapshot(epoch: number, onSnapshot: RunHooks['onSnapshot']): boolean {
    if (!this.snapshotEpochs.includes(epoch)) return false;
    const file = snapshotFile(this.opts.writingParams, epoch);
    const id = `${this.id}-e${epoch}`;
    const meta = { ...this.opts.checkpointMeta, snapshotEpoch: String(epoch), runId: id, ...(this.runStartedAt !== undefined ? { runStartedAt: this.runStartedAt } : {}) };
    const replayed = this.wroteAlready(file, meta);
    saveCheckpoint(file, this.model, this.opts.vocab, meta);
    const snapshot = { epoch, ofEpochs: this.config.maxEpochs, file, id, trainer: this.trainer, replayed };
    if (onSnapshot) onSnapshot(snapshot);
    else this.opts.log(`snapshot after epoch ${epoch}/${snapshot.ofEpochs}: model written${replayed ? ' again' : ''} to ${file}`);
    return true; // save the state now, so that a resume starts after the snapshot
  }

  /**
   * Whether `file` is this run's snapshot already: its metadata is what this run writes (the run's start
   * included, when the state kept it) and so is its model's configuration.
   */
  private wroteAlready(file: string, meta: Record<string, string>): boolean {
    if (!fs.existsSync(file)) return false;
    let written: Record<string, string>;
    try {
      written = readSafetensors(fs.readFileSync(file), file).metadata;
    } catch {
      return false; // unreadable: not one of ours
    }
    return Object.entries(meta).every(([k, v]) => written[k] === v) && (meta.runStartedAt !== undefined || written.runStartedAt === undefined) &&
      written.config === JSON.stringify(this.model.config);
  }
}
