/**
 * GELU and LayerNorm as single kernels on the wasm backend, forward and gradient.
 *
 * Why: written with tf ops, the exact GELU is 4 kernels forward and about 8 backward (erf, its exp, the
 * products), LayerNorm about 9 forward and 20 backward; every one is a pass over a (rows, C) activation and a
 * node on the gradient tape. In a training step of the course model they cost as much as a sixth of the time.
 * Here each is one kernel, a hand-written WebAssembly SIMD loop (`simd/kernels.wat`) that works in place on the
 * tfjs wasm heap (the module imports the backend's own memory: no copy in or out).
 *
 * Used by `gelu` and `layerNorm` of `ops.ts` when the backend is wasm and `setFastWasmKernels` is on; on any
 * other backend those fall back to the tf-op versions here (`geluReference`, `layerNormReference`), which are
 * also what test/fused.test.ts compares the kernels against, values and gradients.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { KERNELS_WASM_BASE64 } from './simd/kernels_wasm';
import { sizeOf } from './wasm_kernels';

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelConfig['kernelFunc'];

/** The exports of simd/kernels.wat; pointers are byte offsets in the backend's memory, counts are floats. */
interface SimdKernels {
  gelu(x: number, y: number, n: number): void;
  gelu_grad(x: number, dy: number, dx: number, n: number): void;
  layer_norm(x: number, w: number, b: number, y: number, rows: number, c: number, eps: number): void;
  layer_norm_grad(x: number, w: number, dy: number, dx: number, dw: number, db: number, rows: number, c: number, eps: number): void;
}

export const GELU = 'MingptGelu';
export const GELU_GRAD = 'MingptGeluGrad';
export const LAYER_NORM = 'MingptLayerNorm';
export const LAYER_NORM_GRAD = 'MingptLayerNormGrad';

/**
 * The WebAssembly API, typed here: tslab's TypeScript setup (notebooks) knows `WebAssembly` only as a namespace of
 * types, not as a value, so the global is read through globalThis.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
/** One instance per wasm backend (each worker thread has its own backend and memory). */
const instances = new WeakMap<BackendWasm, SimdKernels>();

/** Why the kernels cannot run (set once, by the first failed instantiation), for `fusedKernelsOn`. */
let unavailable: string | undefined;

function kernelsFor(backend: BackendWasm): SimdKernels {
  let k = instances.get(backend);
  if (!k) {
    // tfjs-backend-wasm 4.x (Emscripten) exports its memory as `asm.memory`; another build may not.
    const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
    if (!(memory instanceof wasmApi.Memory)) {
      unavailable = 'the tfjs wasm module does not export its memory (asm.memory)';
      throw new Error(`fused kernels: ${unavailable}`);
    }
    compiled ??= new wasmApi.Module(fromBase64(KERNELS_WASM_BASE64));
    k = new wasmApi.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(backend, k);
  }
  return k;
}

/** Bytes of base64 text, with what Node and browsers both have (atob), not Node's Buffer: the page runs this too. */
function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

function checkFloat(kernel: string, inputs: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
  }
}

type Args<I extends string> = { inputs: Record<I, TensorInfo>; backend: BackendWasm; attrs: tf.NamedAttrMap };

function geluKernel({ inputs, backend }: Args<'x'>): TensorInfo {
  checkFloat(GELU, inputs);
  const out = backend.makeOutput([...inputs.x.shape], 'float32'); // may grow memory: offsets are read after
  const n = sizeOf(inputs.x.shape);
  if (n > 0) kernelsFor(backend).gelu(offsetOf(backend, inputs.x), offsetOf(backend, out), n);
  return out;
}

function geluGradKernel({ inputs, backend }: Args<'x' | 'dy'>): TensorInfo {
  checkFloat(GELU_GRAD, inputs);
  const out = backend.makeOutput([...inputs.x.shape], 'float32');
  const n = sizeOf(inputs.x.shape);
  if (n > 0) kernelsFor(backend).gelu_grad(offsetOf(backend, inputs.x), offsetOf(backend, inputs.dy), offsetOf(backend, out), n);
  return out;
}

/**
 * Throws unless gamma (and beta, when given) have shape [C], C the last axis of x: the one check of LayerNorm's
 * parameters, for `ops.layerNorm` and the kernels alike.
 */
export function checkNormParams(where: string, xShape: readonly number[], gamma: { shape: readonly number[] }, beta?: { shape: readonly number[] }): void {
  const c = xShape[xShape.length - 1];
  for (const [name, p] of [['gamma', gamma], ['beta', beta]] as const) {
    if (p && (p.shape.length !== 1 || p.shape[0] !== c)) throw new Error(`${where}: ${name} must have shape [${c}] (x's last axis), got [${p.shape}]`);
  }
}

function rowsAndWidth(kernel: string, x: TensorInfo, gamma: TensorInfo, beta?: TensorInfo): [number, number] {
  checkNormParams(kernel, x.shape, gamma, beta);
  const c = x.shape[x.shape.length - 1];
  return [c === 0 ? 0 : sizeOf(x.shape) / c, c];
}

function layerNormKernel({ inputs, backend, attrs }: Args<'x' | 'gamma' | 'beta'>): TensorInfo {
  checkFloat(LAYER_NORM, inputs);
  const { x, gamma, beta } = inputs;
  const [rows, c] = rowsAndWidth(LAYER_NORM, x, gamma, beta);
  const out = backend.makeOutput([...x.shape], 'float32');
  if (rows > 0) {
    const o = (t: TensorInfo) => offsetOf(backend, t);
    kernelsFor(backend).layer_norm(o(x), o(gamma), o(beta), o(out), rows, c, attrs.epsilon as number);
  }
  return out;
}

function layerNormGradKernel({ inputs, backend, attrs }: Args<'x' | 'gamma' | 'dy'>): TensorInfo[] {
  checkFloat(LAYER_NORM_GRAD, inputs);
  const { x, gamma, dy } = inputs;
  const [rows, c] = rowsAndWidth(LAYER_NORM_GRAD, x, gamma);
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dgamma = backend.makeOutput([c], 'float32');
  const dbeta = backend.makeOutput([c], 'float32');
  if (rows > 0) {
    const o = (t: TensorInfo) => offsetOf(backend, t);
    kernelsFor(backend).layer_norm_grad(o(x), o(gamma), o(dy), o(dx), o(dgamma), o(dbeta), rows, c, attrs.epsilon as number);
  } else {
    backend.typedArrayFromHeap(dgamma).fill(0);
    backend.typedArrayFromHeap(dbeta).fill(0);
  }
  return [dx, dgamma, dbeta];
}

let registered = false;
let fusedOn = true;

/** Switches the fused kernels on or off (on by default; off: `ops` uses the tf-op versions); returns the previous setting. */
export function setFusedKernels(on: boolean): boolean {
  const before = fusedOn;
  fusedOn = on;
  return before;
}

/**
 * Whether `ops.gelu` / `ops.layerNorm` may use the fused kernels: registered, switched on, and able to reach the
 * active wasm backend's memory (checked once; when it cannot, the tf-op versions run). Call on wasm only.
 */
export function fusedKernelsOn(): boolean {
  if (!registered || !fusedOn || unavailable !== undefined) return false;
  try {
    kernelsFor(tf.backend() as unknown as BackendWasm);
    return true;
  } catch {
    return false;
  }
}

/** Registers the four kernels on wasm and the gradients of the two forward ones; safe to call again. */
export function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: [string, (args: never) => TensorInfo | TensorInfo[]][] = [
    [GELU, geluKernel], [GELU_GRAD, geluGradKernel], [LAYER_NORM, layerNormKernel], [LAYER_NORM_GRAD, layerNormGradKernel],
  ];
  for (const [kernelName, f] of kernels) {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: f as unknown as KernelFunc });
  }
  tf.registerGradient({
    kernelName: GELU,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(GELU_GRAD, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: LAYER_NORM,
    inputsToSave: ['x', 'gamma'],
    // One kernel gives all three gradients. It runs here, in the backward pass's own scope, not inside the
    // per-input closures: tfjs runs each closure in its own tidy, which would dispose the other two results.
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(LAYER_NORM_GRAD, { x, gamma, dy: dy as tf.Tensor }, attrs) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/** Exact GELU with tf ops: 0.5 x (1 + erf(x / sqrt 2)). The definition the fused kernel is tested against. */
export function geluReference(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** LayerNorm over the last axis with tf ops, biased variance as PyTorch's. The fused kernel's reference. */
export function layerNormReference<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps: number): T {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T;
  });
}

/** The fused GELU kernel (wasm only; `ops.gelu` picks it or the reference). */
export function geluFused<T extends tf.Tensor>(x: T): T {
  return tf.engine().runKernel(GELU, { x }) as T;
}

/** The fused LayerNorm kernel (wasm only; `ops.layerNorm` picks it or the reference). */
export function layerNormFused<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps: number): T {
  return tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { epsilon: eps }) as T;
}
