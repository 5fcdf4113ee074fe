/**
 * The helper thread of `parallel.ts`: a GPT of the given config on its own wasm backend. Each request brings
 * the current weights and some micro-batches; the answer is their weighted loss and gradient sums.
 */
import { parentPort, receiveMessageOnPort, workerData, MessagePort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { GPT } from './model';
import type { GPTConfig } from './config';
import { sumWeightedGrads } from './micro_batches';
import { assignFlat, flattenParams } from './parallel';
import type { HelperRequest, HelperResponse } from './parallel';

const { config, port, ctrl } = workerData as { config: GPTConfig; port: MessagePort; ctrl: Int32Array };

function loadWeights(model: GPT, flat: Float32Array): void {
  const expected = model.numParams();
  if (flat.length !== expected) throw new Error(`helper: got ${flat.length} weights for a model of ${expected}`);
  assignFlat(model.params, flat);
}

function answer(req: HelperRequest, model: GPT): { res: HelperResponse; transfer: ArrayBuffer[] } {
  loadWeights(model, req.params);
  const { loss, grads } = sumWeightedGrads(model, req.parts);
  const flat = flattenParams(model.params, grads); // a missing gradient is zero
  const value = loss.dataSync()[0];
  tf.dispose([loss, ...Object.values(grads)]);
  return { res: { loss: value, grads: flat }, transfer: [flat.buffer as ArrayBuffer] };
}

async function main(): Promise<void> {
  let model: GPT;
  try {
    await initBackend(); // OpenBLAS's thread count is process-wide: the main thread sets it (parallel.ts)
    model = new GPT(config, 0); // weights arrive with every request
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
    return;
  }
  parentPort!.postMessage({ ready: true });
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    const got = receiveMessageOnPort(port);
    if (!got) continue;
    let reply: { res: HelperResponse; transfer: ArrayBuffer[] };
    try {
      reply = answer(got.message as HelperRequest, model);
    } catch (e) {
      reply = { res: { loss: NaN, error: e instanceof Error ? e.message : String(e) }, transfer: [] };
    }
    port.postMessage(reply.res, reply.transfer);
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
}

void main();
