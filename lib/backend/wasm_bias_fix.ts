/**
 * A fix for tfjs-backend-wasm 4.22 on its own (the browser page, where `wasm_fixes.ts` cannot go: it loads
 * OpenBLAS): its `_FusedMatMul` adds the bias twice when `transposeB` is set. Measured: x (5, 64) times W^T, W of
 * (192, 64), plus a bias b gives x W^T + 2b on wasm and x W^T + b on the cpu backend. Every Linear layer of the model
 * is such a product (`tf.fused.matMul` with transposeB and a bias), so without this fix the page's answers differ
 * from the CLI's. Under Node `installWasmFixes` replaces the kernel anyway (it never passes a transpose flag on).
 *
 * The fix: when a bias comes with transposeB, transpose b first with wasm's own Transpose, then multiply untransposed.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type Args = { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: tf.NamedAttrMap };

let installed = false;

/** Wraps the registered wasm `_FusedMatMul`; safe to call more than once, a no-op without the wasm backend's kernels. */
export function installFusedMatMulBiasFix(): void {
  const original = tf.getKernel('_FusedMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (installed || !original || !transpose) return;
  installed = true;
  const inner = original.kernelFunc as unknown as (a: Args) => tf.TensorInfo;
  const kernelFunc = (args: Args): tf.TensorInfo => {
    const { transposeB } = args.attrs as { transposeB: boolean };
    if (!transposeB || !args.inputs.bias) return inner(args);
    const b = args.inputs.b;
    const perm = [...b.shape.keys()];
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    const bT = transpose.kernelFunc({ inputs: { x: b }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
    try {
      return inner({ ...args, inputs: { ...args.inputs, b: bT }, attrs: { ...args.attrs, transposeB: false } });
    } finally {
      args.backend.disposeData(bT.dataId);
    }
  };
  tf.unregisterKernel('_FusedMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as KernelFunc });
}
