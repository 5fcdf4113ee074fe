/**
 * Data parallelism over two cores: a helper thread holds a copy of the GPT and computes the gradients of
 * part of each batch while the main thread computes the rest.
 *
 * Why: the wasm backend runs everything but the matrix products on one thread (XNNPACK's own threads lose to
 * their synchronisation here, bench/README.md), so on a 2-core machine half the CPU idles through most of a
 * step. Two threads that each take half the micro-batches keep both cores busy; while a helper lives, OpenBLAS
 * runs one thread per caller (set at start, restored at dispose).
 *
 * What travels each step: the parameters (main -> helper, 13 MB for the course model) and the helper's summed
 * weighted gradients (helper -> main). The helper gets each part's own dropout seed, so the result is the
 * same sum as computing every part on the main thread, in another order of float additions
 * (test/parallel.test.ts compares the two).
 *
 * The exchange is synchronous (Atomics.wait on a shared counter and receiveMessageOnPort), so a training step
 * stays a plain function call and needs no event loop turn.
 */
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { GPTConfig } from './config';
import { nativeBlasStatus, setBlasThreads } from '../backend/wasm_fixes';
import type { WeightedPart } from './micro_batches';

/** Main -> helper: the parameters in `model.params` order, flattened, and the parts to compute. */
export interface HelperRequest {
  params: Float32Array;
  parts: WeightedPart[];
}

/** Helper -> main: sum of weight * loss and of weight * gradient (flattened, `model.params` order). */
export interface HelperResponse {
  loss: number;
  grads?: Float32Array;
  error?: string;
}

/**
 * Training threads to use by default: 2 on the wasm backend when the machine has 2 or more cores (measured
 * 1.4x the throughput of one thread on 2 cores, bench/README.md), else 1 (tfjs-node threads by itself).
 */
export function defaultTrainingThreads(backend: string, cores = os.cpus().length): number {
  return backend === 'wasm' && cores >= 2 ? 2 : 1;
}

const REQUEST = 0;
const DONE = 1;
/** How long a step may take on the helper before the main thread gives up on it. */
const ANSWER_TIMEOUT_MS = 30 * 60 * 1000;

export class GradientHelper {
  private seq = 0;
  private closed = false;

  private constructor(private readonly worker: Worker, private readonly port: MessagePort,
    private readonly ctrl: Int32Array, readonly config: GPTConfig, private readonly blasThreadsBefore: number | undefined) {}

  /**
   * Starts a helper thread with a copy of a GPT of this config (weights are sent with every request).
   * Resolves once its backend is up; rejects with the helper's error message otherwise.
   */
  static async start(config: GPTConfig): Promise<GradientHelper> {
    const ctrl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    // The worker is TypeScript: load it through tsx's require hook, which also works inside tslab.
    const entry = path.join(__dirname, 'parallel_worker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, {
      eval: true,
      workerData: { config, port: port2, ctrl },
      transferList: [port2],
    });
    const ready = await new Promise<string | undefined>((resolve) => {
      worker.once('message', (m: { ready?: boolean; error?: string }) => resolve(m.ready ? undefined : m.error ?? 'no answer'));
      worker.once('error', (e) => resolve(e instanceof Error ? e.message : String(e)));
      worker.once('exit', (code) => resolve(`exited with code ${code}`));
    });
    if (ready !== undefined) {
      await worker.terminate();
      throw new Error(`gradient helper thread failed to start: ${ready}`);
    }
    worker.unref(); // a script may end without calling dispose
    port1.unref();
    // Both threads call OpenBLAS at once (the setting is process-wide): one BLAS thread each.
    const blasThreadsBefore = nativeBlasStatus().blas?.threads;
    setBlasThreads(1);
    return new GradientHelper(worker, port1, ctrl, config, blasThreadsBefore);
  }

  /** Requests handed to the helper so far. */
  get requests(): number {
    return this.seq;
  }

  /** Hands the helper its share of a step; returns at once. */
  post(params: Float32Array, parts: WeightedPart[]): void {
    if (this.closed) throw new Error('GradientHelper: used after dispose()');
    const request: HelperRequest = { params, parts };
    this.port.postMessage(request, [params.buffer as ArrayBuffer]);
    this.seq++;
    Atomics.store(this.ctrl, REQUEST, this.seq);
    Atomics.notify(this.ctrl, REQUEST);
  }

  /** Blocks until the helper has answered the last `post`. */
  wait(): { loss: number; grads: Float32Array } {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (Atomics.load(this.ctrl, DONE) !== this.seq) {
      const seen = Atomics.load(this.ctrl, DONE);
      if (Date.now() > deadline) throw new Error(`gradient helper thread did not answer within ${ANSWER_TIMEOUT_MS / 60000} minutes`);
      Atomics.wait(this.ctrl, DONE, seen, 1000);
    }
    const got = receiveMessageOnPort(this.port);
    if (!got) throw new Error('gradient helper thread finished without an answer');
    const res = got.message as HelperResponse;
    if (res.error !== undefined || !res.grads) throw new Error(`gradient helper thread: ${res.error ?? 'no gradients'}`);
    return { loss: res.loss, grads: res.grads };
  }

  /** Stops the thread and gives OpenBLAS back the thread count it had before `start`. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
    if (this.blasThreadsBefore !== undefined) setBlasThreads(this.blasThreadsBefore);
  }
}

/** Loads weights flattened by `flattenParams` (same order) into the parameters, in place. */
export function assignFlat(params: ReadonlyMap<string, tf.Variable>, flat: Float32Array): void {
  tf.tidy(() => {
    for (const [name, t] of unflatten(flat, params)) params.get(name)!.assign(t);
  });
}

/**
 * The model's parameters as one flat array, in `params` order (what the helper expects); with `values`, the
 * tensor given for each name instead (a gradient), zeros where none is given.
 */
export function flattenParams(params: ReadonlyMap<string, tf.Variable>, values?: Readonly<Record<string, tf.Tensor>>): Float32Array {
  let n = 0;
  for (const v of params.values()) n += v.size;
  const flat = new Float32Array(n);
  let offset = 0;
  for (const [name, v] of params) {
    const t = values ? values[name] : v;
    if (t) flat.set(t.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return flat;
}

/** Splits a flat array back into tensors shaped like `params` (in the caller's tidy scope). */
export function unflatten(flat: Float32Array, params: ReadonlyMap<string, tf.Variable>): Map<string, tf.Tensor> {
  const expected = [...params.values()].reduce((n, v) => n + v.size, 0);
  if (flat.length !== expected) throw new Error(`unflatten: ${flat.length} values for ${expected} parameters`);
  const out = new Map<string, tf.Tensor>();
  let offset = 0;
  for (const [name, v] of params) {
    out.set(name, tf.tensor(flat.subarray(offset, offset + v.size), v.shape, 'float32'));
    offset += v.size;
  }
  return out;
}

/**
 * Splits the parts between main thread and helper so that both compute about as many positions (rows x
 * columns); parts arrive longest first, and each goes to the side with less work so far.
 */
export function balanceParts<P extends { batchSize: number; time: number }>(parts: readonly P[]): { local: P[]; remote: P[] } {
  const local: P[] = [], remote: P[] = [];
  let lw = 0, rw = 0;
  for (const p of parts) {
    const w = p.batchSize * p.time;
    if (rw <= lw) { // ties to the helper: the main thread also syncs weights and runs the optimizer
      remote.push(p);
      rw += w;
    } else {
      local.push(p);
      lw += w;
    }
  }
  return { local, remote };
}
