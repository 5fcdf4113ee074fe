/**
 * The tfjs wasm backend (4.22) made fit for training under Node. Installed once, at the backend, so that every
 * model and notebook gets it without knowing it exists.
 *
 * - The fixes that need nothing but the backend (`wasm_portable.ts`, which the browser page installs too): the
 *   gradient of embedding lookups, matrix products that never take wasm's slow transposed path, faster
 *   Transpose, batched BatchMatMul, Gather and Slice, Identity and Cast without copies, GELU and LayerNorm as
 *   single SIMD kernels.
 * - Where OpenBLAS can be loaded (`native_blas.ts`), BatchMatMul and _FusedMatMul (linear activation) run on it,
 *   transposes included, 4-8x faster than XNNPACK, and so do sums over leading axes (bias gradients);
 *   `setNativeBlas(false)` returns them to the portable kernels.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { blasMatMul, blasSumLeading, loadNativeBlas, NativeBlas } from './native_blas';
import { fastKernelsWanted, wasmFixesInstalled } from './kernel_switch';
import { installPortableWasmFixes, MatMulHook, replaceKernel } from './wasm_portable';

export { fastWasmKernelsOn, setFastWasmKernels, wasmFixesInstalled } from './kernel_switch';

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

/** A matrix product with a linear activation on OpenBLAS, transposes included, while it is active. */
const blasProduct: MatMulHook = (args, plain) => {
  const b = activeBlas();
  if (!b) return undefined;
  const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  const linear = plain || ((activation === undefined || activation === 'linear') && !args.inputs.preluActivationWeights);
  return linear ? blasMatMul(b, args.backend as BackendWasm, args.inputs.a, args.inputs.b, transposeA, transposeB, plain ? undefined : args.inputs.bias) : undefined;
};

/** Registers the fixes; safe to call more than once. Throws only when MINGPT_BLAS=on and OpenBLAS cannot load. */
export function installWasmFixes(): void {
  if (wasmFixesInstalled()) return;
  const loaded = loadNativeBlas();
  blas = loaded.blas;
  blasReason = loaded.reason;
  installPortableWasmFixes(blasProduct);
  wrapSum();
}

/** Sum over leading axes on BLAS (`blasSumLeading`), every other reduction on wasm's kernel. */
function wrapSum(): void {
  replaceKernel('Sum', (inner) => (args) => {
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const b = activeBlas();
    return (b && blasSumLeading(b, args.backend, args.inputs.x, axis, keepDims)) || inner(args);
  });
}
