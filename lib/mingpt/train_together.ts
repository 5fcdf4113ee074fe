/**
 * Training several models at the same time, one thread each: notebook 7 pretrains a vanilla and a RoPE model
 * on the same corpus, and on two cores the two runs side by side take about the time of one.
 *
 * Why not one after the other with two threads each: a small model gains little from a second thread, while
 * two runs of one thread each keep both cores busy from the first step to the last (the smoke models: 1.1 to
 * 1.5x the steps per second, `bench/train_together.ts`, bench/README.md).
 *
 * Each job runs in a worker thread with its own wasm backend (train_together_worker.ts): the worker builds the
 * same GPT, copies the job's starting weights, rebuilds the dataset from its text and vocabulary, trains with
 * `trainModel` on one thread, and sends the weights back into the job's model. The result is, number for number,
 * what `trainModel(..., { threads: 1 })` gives on the main thread with OpenBLAS on one thread, and what
 * `OPENBLAS_NUM_THREADS=1 mingpt pretrain --threads 1` writes (OpenBLAS on two threads sums in another order).
 * With fewer cores than jobs, the jobs run one after the other on the main thread, the same way, so the numbers
 * do not depend on the machine.
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { GPTConfig } from './config';
import type { GPT } from './model';
import type { StepInfo, TrainResult, TrainerConfig } from './trainer';
import { assignFlat, flattenParams } from './parallel';
import { trainModel } from './train_model';
import { nativeBlasStatus, setBlasThreads } from '../backend/wasm_fixes';
import { CharCorruptionDataset } from '../data/char_corruption';
import { NameDataset } from '../data/name_dataset';
import { Vocab } from '../data/vocab';
import type { QA } from '../data/tsv';

export interface TrainingJob {
  /** Names the job in errors ("pretrain RoPE"). */
  label: string;
  model: GPT;
  /** A dataset the worker can rebuild: span corruption of a text, or question/answer pairs. */
  dataset: CharCorruptionDataset | NameDataset;
  config: TrainerConfig;
  /** Told of the job's steps on the main thread: in a notebook `progressDisplay(label)`. */
  onStep?: (info: StepInfo) => void;
}

/** What a worker needs to rebuild a dataset: plain data that crosses threads. */
export type DatasetRecipe =
  | { kind: 'span-corruption'; chars: string[]; text: string; blockSize: number }
  | { kind: 'names'; chars: string[]; pairs: QA[]; blockSize: number };

export function datasetRecipe(dataset: CharCorruptionDataset | NameDataset): DatasetRecipe {
  const chars = [...dataset.vocab.chars];
  if (dataset instanceof CharCorruptionDataset) {
    // The dataset keeps its usable lines; joined again they make a text with the same documents.
    return { kind: 'span-corruption', chars, text: dataset.documents.join('\n'), blockSize: dataset.blockSize };
  }
  if (dataset instanceof NameDataset) {
    return { kind: 'names', chars, pairs: dataset.pairs.map((p, i) => ({ ...p, line: i + 1 })), blockSize: dataset.blockSize };
  }
  throw new Error('trainTogether: a dataset must be a CharCorruptionDataset or a NameDataset to be rebuilt in a worker');
}

export function datasetFromRecipe(r: DatasetRecipe): CharCorruptionDataset | NameDataset {
  const vocab = Vocab.fromChars(r.chars);
  return r.kind === 'span-corruption' ? new CharCorruptionDataset(vocab, r.text, r.blockSize) : new NameDataset(vocab, r.pairs, r.blockSize);
}

/** Main -> worker, once. */
export interface WorkerJob {
  config: GPTConfig;
  params: Float32Array;
  recipe: DatasetRecipe;
  trainer: TrainerConfig;
}

/** Worker -> main: steps while training, then the weights and the result, or an error. */
export type WorkerMessage =
  | { step: StepInfo }
  | { done: { params: Float32Array; result: TrainResult } }
  | { error: string };

/** Whether `trainTogether` runs these many jobs in worker threads on this machine (else one after the other). */
export function trainsSideBySide(jobs: number, cores = os.cpus().length): boolean {
  return jobs > 1 && cores >= jobs && tf.getBackend() === 'wasm';
}

/**
 * Trains every job to the end of its schedule, at the same time where the machine has a core per job (or as
 * `sideBySide` says); each job's model ends with its trained weights. Returns the results in the order of `jobs`.
 */
export async function trainTogether(
  jobs: readonly TrainingJob[], opts: { sideBySide?: boolean } = {},
): Promise<TrainResult[]> {
  const sideBySide = opts.sideBySide ?? trainsSideBySide(jobs.length);
  const labels = new Set(jobs.map((j) => j.label));
  if (labels.size !== jobs.length) throw new Error(`trainTogether: two jobs share a label (${jobs.map((j) => j.label).join(', ')})`);
  // Every worker calls OpenBLAS (a process-wide setting): one BLAS thread each while they run. The jobs run one
  // after the other with one BLAS thread too, since another thread count sums the products in another order.
  const blasThreadsBefore = nativeBlasStatus().blas?.threads;
  setBlasThreads(1);
  try {
    if (sideBySide) {
      const running = jobs.map((j) => trainInWorker(j));
      try {
        return await Promise.all(running.map((r) => r.result));
      } catch (e) {
        // One job failed: the others would train on for nothing.
        await Promise.all(running.map((r) => r.worker.terminate()));
        throw e;
      }
    }
    const results: TrainResult[] = [];
    for (const j of jobs) results.push(await trainModel(j.model, j.dataset, j.config, { threads: 1, onStep: j.onStep }));
    return results;
  } finally {
    if (blasThreadsBefore !== undefined) setBlasThreads(blasThreadsBefore);
  }
}

function trainInWorker(job: TrainingJob): { worker: Worker; result: Promise<TrainResult> } {
  const request: WorkerJob = {
    config: job.model.config, params: flattenParams(job.model.params), recipe: datasetRecipe(job.dataset), trainer: job.config,
  };
  // TypeScript in a worker: through tsx's require hook, as the gradient helper (parallel.ts), which works in tslab.
  const entry = path.join(__dirname, 'train_together_worker.ts');
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true, workerData: request });
  const result = new Promise<TrainResult>((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error(`${job.label}: training thread failed: ${why}`));
    };
    worker.on('message', (m: WorkerMessage) => {
      if ('step' in m) job.onStep?.(m.step);
      else if ('error' in m) fail(m.error);
      else if (!settled) {
        settled = true;
        assignFlat(job.model.params, m.done.params);
        void worker.terminate();
        resolve(m.done.result);
      }
    });
    worker.on('error', (e) => fail(e instanceof Error ? e.message : String(e)));
    worker.on('exit', (code) => fail(`exited with code ${code} before it finished`));
  });
  return { worker, result };
}
