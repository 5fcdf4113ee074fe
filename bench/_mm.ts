import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
async function main() {
  await initBackend();
  const shapes: [number, number, number][] = [[256, 256, 256], [1024, 256, 1024], [4096, 256, 1024]];
  for (const [m, k, n] of shapes) {
    for (const kind of ['ones', 'normal']) {
      const a = kind === 'ones' ? tf.ones([m, k]) : tf.randomNormal([m, k], 0, 1, 'float32', 1);
      const b = kind === 'ones' ? tf.ones([k, n]) : tf.randomNormal([k, n], 0, 1, 'float32', 2);
      tf.matMul(a, b).dispose();
      const c0 = process.cpuUsage(); const t0 = performance.now();
      for (let i = 0; i < 3; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
      const ms = (performance.now() - t0) / 3; const cpu = process.cpuUsage(c0).user / 1000 / 3;
      console.log(kind, m, k, n, `wall ${ms.toFixed(1)} ms cpu ${cpu.toFixed(1)} ms  ${(2 * m * k * n / cpu / 1e6).toFixed(1)} GFLOP/s(cpu)`);
    }
  }
}
main();
