/**
 * A/B timing of the fast wasm kernels against the originals, interleaved in one process (CPU ms, which is
 * less disturbed than wall time on a shared machine).   npx tsx bench/kernels_ab.ts
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { setFastWasmKernels } from '../lib/backend/wasm_fixes';
import { causalAttention, causalAttentionReference, dropout } from '../lib/backend/ops';

function cpuMs(f: () => void, reps: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

async function main(): Promise<void> {
  await initBackend('wasm');
  const B = Number(process.env.B ?? 32), H = 8, T = 128, D = 32;
  const q = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 1);
  const k = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 2);
  const att = tf.softmax(tf.randomNormal([B, H, T, T], 0, 1, 'float32', 3));
  const x4 = tf.randomNormal([B, T, H, D], 0, 1, 'float32', 4);
  const x2 = tf.randomNormal([B * T, 256], 0, 1, 'float32', 5);
  const cases: [string, () => tf.Tensor][] = [
    ['q k^T  (B,H,T,D)x(B,H,T,D)^T', () => tf.matMul(q, k, false, true)],
    ['att v  (B,H,T,T)x(B,H,T,D)', () => tf.matMul(att, k)],
    ['att^T dy (grad of v)', () => tf.matMul(att, k, true, false)],
    ['transpose (B,T,H,D)->(B,H,T,D)', () => tf.transpose(x4, [0, 2, 1, 3])],
    ['sum over rows (bias grad) (B*T,256)', () => tf.sum(x2, 0)],
    ['transpose 2-D (B*T,256)', () => tf.transpose(x2)],
    ['transpose last two (B,H,T,D)', () => tf.transpose(q, [0, 1, 3, 2])],
    ['transpose 3-D (B*H,T,D)->(B*H,D,T)', () => tf.transpose(q.reshape([B * H, T, D]), [0, 2, 1])],
    ['transpose 5-D (B,T,3,H,D)->(3,B,H,T,D)', () => tf.transpose(x4.reshape([B, T, 2, 4, D]), [2, 0, 3, 1, 4])],
    ['transpose 4-D (B*T,3,H,D)->(3,H,B*T,D)', () => tf.transpose(x4.reshape([B * T, 2, 4, D]), [1, 2, 0, 3])],
  ];
  const reps = Number(process.env.REPS ?? 3);
  for (const [name, f] of cases) {
    const run = () => tf.tidy(() => { f().dataSync(); });
    setFastWasmKernels(false); run();
    const slow = cpuMs(run, reps);
    setFastWasmKernels(true); run();
    const fast = cpuMs(run, reps);
    console.log(`${name.padEnd(40)} original ${slow.toFixed(1).padStart(8)} ms   fast ${fast.toFixed(1).padStart(7)} ms   x${(slow / fast).toFixed(1)}`);
  }
  // Op-level alternatives (both with the fast kernels on).
  const v = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 6);
  const w = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 7);
  const attention = (f: typeof causalAttention) => () => tf.tidy(() => {
    tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { dropout: 0.1, seed: 1, training: true }), w)))([q, k, v])[0].dataSync();
  });
  const pairs: [string, () => void, () => void][] = [
    ['dropout (B,H,T,T): tf.dropout vs ops.dropout', () => tf.tidy(() => { tf.dropout(att, 0.1, undefined, 1).dataSync(); }), () => tf.tidy(() => { dropout(att, 0.1, 1).dataSync(); })],
    ['attention fwd+bwd: reference vs causalAttention', attention(causalAttentionReference), attention(causalAttention)],
  ];
  for (const [name, a, b] of pairs) {
    a(); b();
    const ta = cpuMs(a, reps), tb = cpuMs(b, reps);
    console.log(`${name.padEnd(48)} ${ta.toFixed(1).padStart(8)} ms   vs ${tb.toFixed(1).padStart(7)} ms   x${(ta / tb).toFixed(1)}`);
  }
}
main();
