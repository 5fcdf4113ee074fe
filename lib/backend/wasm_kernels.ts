/**
 * Faster wasm kernels for the two operations that dominate a Transformer training step on tfjs-backend-wasm
 * 4.22, each a drop-in for the registered kernel (same inputs, attributes and outputs):
 *
 * - `transposeFast`: wasm's Transpose has fast paths up to rank 4 and a generic loop beyond it, ~15 ns per
 *   element (a (B, T, 3, H, D) -> (3, B, H, T, D) split of attention heads: 50 ms at batch 32). This one
 *   copies through the wasm heap in JavaScript, ~1 ns per element. `simplify` first drops size-1 axes and
 *   merges axes that stay neighbours, so most transposes end up at rank <= 4 and keep wasm's kernel.
 * - `batchedMatMulBySlices`: wasm's BatchMatMul uses XNNPACK only for a single matrix pair; with a batch
 *   (attention's (B*H) products) it falls back to a naive triple loop at ~1-2 GFLOP/s. Here each slice pair
 *   runs through the XNNPACK path, zero-copy: every slice is registered with the C side as a tensor of its own
 *   that points into the batch's memory, multiplied, then unregistered.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { broadcast_util } from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

/** The parts of the wasm backend used here that its typings keep private. */
interface WasmInternals {
  dataIdNextNumber: number;
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * out = transpose(x, perm) for float32 / int32 / bool tensors, computed on the wasm heap (on the simplified
 * shape, so that runs along an axis that stays last are contiguous copies).
 */
export function transposeFast(backend: BackendWasm, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const outShape = perm.map((p) => x.shape[p]);
  const out = backend.makeOutput(outShape, x.dtype);
  // makeOutput may grow the heap and detach older views: take the views after allocating.
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array | Uint8Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array | Uint8Array;
  const { shape, order } = simplify(x.shape, perm);
  permuteInto(src, dst, shape, order);
  return out;
}

/** Drops size-1 axes and merges input axes that remain neighbours, in order, after the permutation. */
export function simplify(shape: readonly number[], perm: readonly number[]): { shape: number[]; order: number[] } {
  const kept = perm.filter((p) => shape[p] !== 1);
  if (kept.length === 0) return { shape: [1], order: [0] };
  // Groups of consecutive output axes whose input axes are consecutive too.
  const groups: number[][] = [];
  for (const p of kept) {
    const g = groups[groups.length - 1];
    if (g && p === g[g.length - 1] + 1) g.push(p);
    else groups.push([p]);
  }
  // Renumber the groups by their position in the input.
  const byInput = groups.map((g, i) => ({ first: g[0], i })).sort((a, b) => a.first - b.first);
  const inShape = byInput.map(({ i }) => groups[i].reduce((s, p) => s * shape[p], 1));
  const order = groups.map((_, i) => byInput.findIndex((e) => e.i === i));
  return { shape: inShape, order };
}

/** dst = src viewed with `shape` and permuted by `order` (output axis i is input axis order[i]). */
function permuteInto(src: ArrayLike<number>, dst: { [i: number]: number; length: number }, shape: number[], order: number[]): void {
  const r = shape.length;
  if (r === 1) {
    for (let i = 0; i < dst.length; i++) dst[i] = src[i];
    return;
  }
  const inStride = new Array<number>(r);
  inStride[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) inStride[i] = inStride[i + 1] * shape[i + 1];
  const outShape = order.map((o) => shape[o]);
  const stride = order.map((o) => inStride[o]); // input step for a step along each output axis
  const inner = outShape[r - 1];
  const innerStride = stride[r - 1];
  const idx = new Array<number>(r - 1).fill(0);
  let base = 0; // input offset of the current output row
  let o = 0;
  const rows = dst.length / inner;
  for (let row = 0; row < rows; row++) {
    if (innerStride === 1) {
      for (let j = 0; j < inner; j++) dst[o++] = src[base + j];
    } else {
      for (let j = 0, s = base; j < inner; j++, s += innerStride) dst[o++] = src[s];
    }
    // Advance the odometer over the outer output axes.
    for (let a = r - 2; a >= 0; a--) {
      idx[a]++;
      base += stride[a];
      if (idx[a] < outShape[a]) break;
      base -= stride[a] * outShape[a];
      idx[a] = 0;
    }
  }
}

/** Multiply-adds per slice below which the original kernel is kept. */
export const MIN_SLICE_WORK = 32768;

type WasmBatchMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number) => void;
const cwrapped = new WeakMap<object, WasmBatchMatMul>();

function wasmBatchMatMul(backend: BackendWasm): WasmBatchMatMul {
  let f = cwrapped.get(backend);
  if (!f) {
    const w = (backend as unknown as WasmInternals).wasm;
    f = w.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as WasmBatchMatMul;
    cwrapped.set(backend, f);
  }
  return f;
}

/** A batched product op(a) op(b) of shapes (..., m, k) x (..., k, n), as the fast paths compute it. */
export interface ProductPlan {
  m: number;
  k: number;
  n: number;
  /** Matrices in a and in b: equal, or one of them 1 (a single matrix for the whole batch). */
  aBatch: number;
  bBatch: number;
  batch: number;
  /** The output's batch axes. */
  outer: number[];
}

/**
 * The plan of a float32 product whose batches are equal or one side a single matrix, op a transpose of the
 * last two axes when its flag is set; undefined for anything else (the caller keeps the original kernel).
 */
export function productPlan(a: TensorInfo, b: TensorInfo, transposeA = false, transposeB = false): ProductPlan | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  if (a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [k2, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== k2) return undefined;
  const aBatch = sizeOf(a.shape.slice(0, -2)), bBatch = sizeOf(b.shape.slice(0, -2));
  // Only equal batches, or one side a single matrix; other broadcasts go to the original kernel.
  if (aBatch !== bBatch && aBatch !== 1 && bBatch !== 1) return undefined;
  const batch = Math.max(aBatch, bBatch);
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (sizeOf(outer) !== batch) return undefined;
  return { m, k, n, aBatch, bBatch, batch, outer };
}

/**
 * (batch, m, k) x (batch, k, n) -> (batch, m, n), either batch may be 1 (broadcast), no transposes. Returns
 * undefined when the shapes are not of that form (the caller then uses the original kernel).
 */
export function batchedMatMulBySlices(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const plan = productPlan(a, b);
  if (!plan) return undefined;
  const { m, k, n, aBatch, bBatch, batch, outer } = plan;
  if (batch <= 1) return undefined; // a single product already takes the XNNPACK path
  // Each slice costs ~10 us of set-up (operator creation, weight packing): below ~32K multiply-adds per
  // slice the naive loop is faster (decoding, where m = 1, ran 3x slower sliced; bench/kernels_ab.ts).
  if (m * k * n < MIN_SLICE_WORK) return undefined;
  const internals = backend as unknown as WasmInternals;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const mul = wasmBatchMatMul(backend);
  const aOff = backend.dataIdMap.get(a.dataId)!.memoryOffset;
  const bOff = backend.dataIdMap.get(b.dataId)!.memoryOffset;
  const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
  const tfjs = internals.wasm.tfjs;
  const view = (offset: number, size: number): number => {
    const id = internals.dataIdNextNumber++;
    tfjs.registerTensor(id, size, offset);
    return id;
  };
  for (let i = 0; i < batch; i++) {
    const aId = view(aOff + (aBatch === 1 ? 0 : i * m * k * 4), m * k);
    // A fresh id for every b slice: XNNPACK caches its packed weights under b's id until b is disposed.
    const bId = view(bOff + (bBatch === 1 ? 0 : i * k * n * 4), k * n);
    const oId = view(oOff + i * m * n * 4, m * n);
    mul(aId, aShape, 3, bId, bShape, 3, false, false, oId);
    tfjs.disposeData(aId);
    tfjs.disposeData(bId);
    tfjs.disposeData(oId);
  }
  return out;
}
