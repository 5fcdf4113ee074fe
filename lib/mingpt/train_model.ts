/**
 * Training a model in memory, for notebooks: the same steps as `mingpt pretrain` / `mingpt finetune` (the same
 * micro-batches, the preset's or DEFAULT_MICRO_BATCH rows, and, on two or more cores with the wasm backend, the
 * same helper thread), without the files a long run keeps (state, checkpoints). With the same model, dataset, trainer
 * settings and seed, a notebook's model is the one the command writes, number for number, on the same machine.
 */
import * as tf from '@tensorflow/tfjs';
import { ExampleDataset, datasetBatches } from './batches';
import type { GPT } from './model';
import { GradientHelper, defaultTrainingThreads } from './parallel';
import { StepInfo, TrainResult, Trainer, TrainerConfig } from './trainer';
import { DEFAULT_MICRO_BATCH } from './training_run';
import { formatDuration } from '../util/format';

export interface TrainModelOptions {
  /** 1, or 2 for a helper thread (default: as the CLI, 2 on the wasm backend with two or more cores). */
  threads?: number;
  /** Rows per forward/backward pass (default: the config's, else DEFAULT_MICRO_BATCH, as the CLI). */
  microBatchSize?: number;
  /** Told of every step: in a notebook `progressDisplay(label)` (lib/cli/progress.ts), one line kept up to date. */
  onStep?: (info: StepInfo) => void;
}

/** Trains `model` on `dataset` to the end of `config`'s schedule and returns the run's curve and totals. */
export async function trainModel(model: GPT, dataset: ExampleDataset, config: TrainerConfig, opts: TrainModelOptions = {}): Promise<TrainResult> {
  const threads = opts.threads ?? defaultTrainingThreads(tf.getBackend());
  const micro = opts.microBatchSize ?? config.microBatchSize ?? DEFAULT_MICRO_BATCH;
  // A batch that is one micro-batch leaves a helper thread nothing to do.
  const helper = threads > 1 && micro < config.batchSize ? await GradientHelper.start(model.config) : undefined;
  const trainer = new Trainer(model, datasetBatches(dataset), { ...config, microBatchSize: micro }, { helper });
  try {
    return await trainer.train(opts.onStep ? { onStep: opts.onStep } : {});
  } finally {
    trainer.dispose();
    await helper?.dispose();
  }
}

/** "pretrain vanilla: 4,000 steps, 4.3M tokens in 1 min 12 s, loss 3.91 -> 0.68 (mean of the last tenth)". */
export function describeTraining(label: string, r: TrainResult): string {
  const tail = r.curve.slice(-Math.max(1, Math.round(r.curve.length / 10)));
  const tailLoss = tail.reduce((s, p) => s + p.loss, 0) / Math.max(1, tail.length);
  const first = r.curve[0]?.loss ?? NaN;
  return `${label}: ${r.steps.toLocaleString('en-US')} steps, ${(r.tokens / 1e6).toFixed(2)}M tokens in ${formatDuration(r.seconds)}, ` +
    `loss ${first.toFixed(2)} -> ${tailLoss.toFixed(2)} (mean of the last tenth of the steps)`;
}
