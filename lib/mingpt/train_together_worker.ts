/**
 * One job of `train_together.ts`: a GPT of the job's config on this thread's own wasm backend, given the job's
 * starting weights, trained on one thread; its steps, then its weights and result, go back to the main thread.
 */
import { parentPort, workerData } from 'worker_threads';
import { initBackend } from '../backend';
import { GPT } from './model';
import { assignFlat, flattenParams } from './parallel';
import { trainModel } from './train_model';
import { datasetFromRecipe } from './train_together';
import type { WorkerJob, WorkerMessage } from './train_together';

/** Steps sent to the main thread at most this often (the last one always). */
const STEP_EVERY_MS = 100;

async function main(): Promise<void> {
  const job = workerData as WorkerJob;
  const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(m, transfer);
  try {
    await initBackend(); // OpenBLAS's thread count is process-wide: the main thread set it
    const model = new GPT(job.config, 0);
    assignFlat(model.params, job.params);
    let last = 0;
    const result = await trainModel(model, datasetFromRecipe(job.recipe), job.trainer, {
      threads: 1,
      onStep: (info) => {
        const now = Date.now();
        if (now - last < STEP_EVERY_MS && info.step !== info.totalSteps && info.step !== 1) return;
        last = now;
        post({ step: info });
      },
    });
    const params = flattenParams(model.params);
    model.dispose();
    post({ done: { params, result } }, [params.buffer as ArrayBuffer]);
  } catch (e) {
    post({ error: e instanceof Error ? e.message : String(e) });
  }
}

void main();
