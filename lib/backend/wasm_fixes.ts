/**
 * Fixes that make the tfjs wasm backend (4.22) usable for training. Installed once, at the backend, so that
 * every model and notebook gets them without knowing they exist.
 *
 * 1. `UnsortedSegmentSum` is not registered for wasm, and it is the gradient of `tf.gather`: without it no
 *    embedding table can be trained. We register a kernel written in TypeScript over the wasm heap.
 * 2. `BatchMatMul` / `_FusedMatMul` with `transposeA` or `transposeB` run 15-30x slower on wasm than an
 *    explicit transpose followed by a plain matMul, and the default matMul gradient uses those flags. We wrap
 *    both kernels: a transposed operand is transposed explicitly first, then the original kernel runs untransposed.
 * 3. Transpose and batched BatchMatMul are replaced by the faster kernels of `wasm_kernels.ts` (measured in
 *    bench/; `setFastWasmKernels(false)` restores the originals, for tests that compare the two).
 * 4. Where OpenBLAS can be loaded (`native_blas.ts`), BatchMatMul and _FusedMatMul (linear activation) run on it,
 *    transposes included, 4-8x faster than XNNPACK, and so do sums over leading axes (bias gradients);
 *    `setNativeBlas(false)` returns them to 2. and 3.
 * 5. Identity and same-dtype Cast share their input's memory instead of copying it.
 * 6. GatherV2 along the first axis (every embedding lookup) copies whole rows with one memmove each; wasm's
 *    kernel computes every element's address apart (4.6 ms against 0.1 for an (8, 86) lookup in a 256-wide table).
 * 7. GELU and LayerNorm get single-kernel versions in WebAssembly SIMD (`fused.ts`), which `ops.gelu` and
 *    `ops.layerNorm` use while the fast kernels are on.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { batchedMatMulBySlices, simplify, transposeFast } from './wasm_kernels';
import { blasMatMul, blasSumLeading, loadNativeBlas, NativeBlas } from './native_blas';
import { registerFusedKernels } from './fused';
import { fastKernelsWanted, markWasmFixesInstalled, wasmFixesInstalled } from './kernel_switch';

export { fastWasmKernelsOn, setFastWasmKernels, wasmFixesInstalled } from './kernel_switch';

type TensorInfo = tf.TensorInfo;
type NamedAttrMap = tf.NamedAttrMap;
type KernelFunc = tf.KernelConfig['kernelFunc'];
/** What a wasm kernel is called with. */
type WasmArgs = { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: NamedAttrMap };
type WasmKernel = (args: WasmArgs) => TensorInfo;

/** Replaces the registered wasm kernel `kernelName` by `wrap(original)`, keeping its setup; no-op if absent. */
function replaceKernel(kernelName: string, wrap: (inner: WasmKernel) => WasmKernel): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const kernelFunc = wrap(original.kernelFunc as unknown as WasmKernel) as unknown as KernelFunc;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}

let blas: NativeBlas | undefined;
let blasReason = 'matMul on XNNPACK';
let blasOn = true;

/** Switches the OpenBLAS matrix products on or off (on when OpenBLAS loaded); returns the previous setting. */
export function setNativeBlas(on: boolean): boolean {
  const before = blasOn;
  blasOn = on;
  return before;
}

/** OpenBLAS when it loaded and neither setNativeBlas(false) nor setFastWasmKernels(false) turned it off. */
function activeBlas(): NativeBlas | undefined {
  return blasOn && fastKernelsWanted() ? blas : undefined;
}

/** The OpenBLAS in use for matrix products, if any, and a line saying why or why not. */
export function nativeBlasStatus(): { blas?: NativeBlas; active: boolean; reason: string } {
  return { blas, active: blas !== undefined && blasOn, reason: blasReason };
}

/** Sets OpenBLAS's thread count (process-wide) and the backend description; no-op without OpenBLAS. */
export function setBlasThreads(n: number): void {
  if (!blas) return;
  blas.setThreads(n);
  blasReason = blasReason.replace(/\d+ threads?$/, `${blas.threads} thread${blas.threads === 1 ? '' : 's'}`);
}

/** Registers the fixes; safe to call more than once. Throws only when MINGPT_BLAS=on and OpenBLAS cannot load. */
export function installWasmFixes(): void {
  if (wasmFixesInstalled()) return;
  const loaded = loadNativeBlas();
  blas = loaded.blas;
  blasReason = loaded.reason;
  markWasmFixesInstalled();
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as KernelFunc });
  wrapTranspose();
  for (const name of ['BatchMatMul', '_FusedMatMul']) wrapTransposedMatMul(name);
  shareInsteadOfCopy();
  wrapSum();
  wrapGather();
  registerFusedKernels();
}

/** Sum over leading axes on BLAS (`blasSumLeading`), every other reduction on wasm's kernel. */
function wrapSum(): void {
  replaceKernel('Sum', (inner) => (args) => {
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const b = activeBlas();
    return (b && blasSumLeading(b, args.backend, args.inputs.x, axis, keepDims)) || inner(args);
  });
}

/**
 * wasm's Identity, and its Cast to the same dtype, copy the whole buffer; the gradients of add, mul and sub
 * call them on every activation (about 8% of a training step). No wasm kernel writes into its inputs, so
 * the output can share the input's memory, counted by reference, as the cpu backend does.
 */
function shareInsteadOfCopy(): void {
  const share = (x: TensorInfo, backend: BackendWasm): TensorInfo => {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  for (const kernelName of ['Identity', 'Cast']) {
    replaceKernel(kernelName, (inner) => (args) => {
      const { x } = args.inputs;
      const sameType = kernelName === 'Identity' || args.attrs.dtype === x.dtype;
      return fastKernelsWanted() && sameType && x.dtype !== 'string' ? share(x, args.backend) : inner(args);
    });
  }
}

/** Row gather (axis 0, no batch dims) as one `copyWithin` per index; anything else goes to wasm's kernel. */
function wrapGather(): void {
  replaceKernel('GatherV2', (inner) => (args) => {
    const { x, indices } = args.inputs;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rank = x.shape.length;
    const firstAxis = axis === 0 || axis === -rank;
    const types = (x.dtype === 'float32' || x.dtype === 'int32') && indices.dtype === 'int32';
    if (!fastKernelsWanted() || !firstAxis || batchDims !== 0 || !types || rank === 0) return inner(args);
    const backend = args.backend;
    const n = x.shape[0];
    const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // After makeOutput (which may grow the heap and replace HEAP32): one view of the whole heap, 4-byte units.
    const heap = (backend.wasm as unknown as { HEAP32: Int32Array }).HEAP32;
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    const src = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
    let dst = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
    for (let i = 0; i < ids.length; i++, dst += width) {
      const id = ids[i];
      if (!(id >= 0 && id < n)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${id} is not in [0, ${n - 1}]`);
      }
      heap.copyWithin(dst, src + id * width, src + (id + 1) * width);
    }
    return out;
  });
}

/**
 * out[s, ...] = sum over i with segmentIds[i] == s of x[i, ...]. segmentIds may be of any rank r; x's first r
 * dimensions match it. Ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: BackendWasm; attrs: NamedAttrMap }): TensorInfo {
  const { x, segmentIds } = args.inputs;
  const backend = args.backend;
  const numSegments = args.attrs.numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): unsupported dtype ${x.dtype}`);
  const idRank = segmentIds.shape.length;
  const inner = x.shape.slice(idRank).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  // makeOutput may grow the wasm heap, which detaches earlier views: allocate first, then take the views.
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array | Float32Array;
  outVals.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

/** Transpose through `transposeFast` for the dtypes it handles. */
function wrapTranspose(): void {
  replaceKernel('Transpose', (inner) => (args) => {
    const { x } = args.inputs;
    const perm = args.attrs.perm as number[];
    if (!fastKernelsWanted()) return inner(args);
    // wasm's own kernel is fast up to rank 4 and slow beyond: merge axes first, and go to JavaScript only
    // for what stays above rank 4.
    const simple = simplify(x.shape, perm);
    const jsTypes = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
    if (simple.shape.length > 4 && jsTypes) return transposeFast(args.backend, x, perm);
    if (simple.shape.length === x.shape.length) return inner(args);
    const out = inner({ ...args, inputs: { x: { ...x, shape: simple.shape } }, attrs: { ...args.attrs, perm: simple.order } });
    out.shape = perm.map((p) => x.shape[p]);
    return out;
  });
}

/** Replaces a registered matMul kernel by one that never passes a transpose flag to the slow path. */
function wrapTransposedMatMul(kernelName: string): void {
  const transpose = tf.getKernel('Transpose', 'wasm'); // the fast one: wrapTranspose ran first
  if (!transpose) return;
  const transposeLast2 = (x: TensorInfo, backend: BackendWasm): TensorInfo => {
    const rank = x.shape.length;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
  };
  const plain = kernelName === 'BatchMatMul';
  replaceKernel(kernelName, (inner) => (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const b = activeBlas();
    if (b) {
      const { activation } = args.attrs as { activation?: string };
      const linear = plain || ((activation === undefined || activation === 'linear') && !args.inputs.preluActivationWeights);
      const out = linear ? blasMatMul(b, args.backend, args.inputs.a, args.inputs.b, transposeA, transposeB, plain ? undefined : args.inputs.bias) : undefined;
      if (out) return out;
    }
    if (!transposeA && !transposeB) {
      const sliced = plain && fastKernelsWanted() ? batchedMatMulBySlices(args.backend, args.inputs.a, args.inputs.b) : undefined;
      return sliced ?? inner(args);
    }
    const temps: TensorInfo[] = [];
    const inputs = { ...args.inputs };
    if (transposeA) temps.push((inputs.a = transposeLast2(inputs.a, args.backend)));
    if (transposeB) temps.push((inputs.b = transposeLast2(inputs.b, args.backend)));
    const sliced = plain && fastKernelsWanted() ? batchedMatMulBySlices(args.backend, inputs.a, inputs.b) : undefined;
    const out = sliced ?? inner({ ...args, inputs, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    for (const t of temps) args.backend.disposeData(t.dataId);
    return out;
  });
}
