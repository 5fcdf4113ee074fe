/**
 * A fix for tfjs-backend-wasm 4.22 on its own (the browser page, where `wasm_fixes.ts` cannot go: it loads
 * OpenBLAS): its `_FusedMatMul` adds the bias twice when `transposeB` is set. Measured: x (5, 64) times W^T, W of
 * (192, 64), plus a bias b gives x W^T + 2b on wasm and x W^T + b on the cpu backend. Every Linear layer of the model
 * is such a product (`tf.fused.matMul` with transposeB and a bias), so without this fix the page's answers differ
 * from the CLI's. Under Node `installWasmFixes` replaces the kernel anyway (it never passes a transpose flag on).
 *
 * The fix: when a bias comes with transposeB (and no activation), multiply without it and add the bias once, with
 * wasm's own Add. (Transposing b instead would give XNNPACK a new matrix to pack on every call: 10x slower.)
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Args = { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: tf.NamedAttrMap };

let installed = false;

/** Wraps the registered wasm `_FusedMatMul`; safe to call more than once, a no-op without the wasm backend's kernels. */
export function installFusedMatMulBiasFix(): void {
  const original = tf.getKernel('_FusedMatMul', 'wasm');
  const add = tf.getKernel('Add', 'wasm');
  if (installed || !original || !add) return;
  installed = true;
  const inner = original.kernelFunc as unknown as (a: Args) => tf.TensorInfo;
  const kernelFunc = (args: Args): tf.TensorInfo => {
    const { transposeB, activation } = args.attrs as { transposeB: boolean; activation?: string };
    const { bias, ...rest } = args.inputs;
    if (!transposeB || !bias || (activation !== undefined && activation !== 'linear')) return inner(args);
    // The product without the bias (b keeps its own tensor, whose packed form XNNPACK caches), then the bias once.
    const product = inner({ ...args, inputs: rest });
    try {
      return add.kernelFunc({ inputs: { a: product, b: bias }, backend: args.backend, attrs: {} }) as tf.TensorInfo;
    } finally {
      args.backend.disposeData(product.dataId);
    }
  };
  tf.unregisterKernel('_FusedMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as KernelFunc });
}
