import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
async function main() {
  await initBackend();
  console.log(tf.getBackend(), await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const a = tf.randomNormal([4096, 256], 0, 1, 'float32', 1);
  const b = tf.randomNormal([256, 1024], 0, 1, 'float32', 2);
  for (let i = 0; i < 2; i++) tf.matMul(a, b).dataSync();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  const ms = (performance.now() - t0) / 5;
  console.log(`matMul 4096x256x1024: ${ms.toFixed(1)} ms, ${(2 * 4096 * 256 * 1024 / ms / 1e6).toFixed(1)} GFLOP/s`);
}
main();
