import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

async function main() {
  const pkgDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const glue = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerSrc: string = require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')).wasmWorkerContents;
  const patched = workerSrc.replace('if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}', `if(true){importScripts(${JSON.stringify(glue)})}`);
  if (patched === workerSrc) throw new Error('worker patch did not apply');
  const workerFile = path.join(os.tmpdir(), `tfjs-wasm-pthread-worker-${process.pid}.js`);
  fs.writeFileSync(workerFile, patched.replace(/\n/g, "\\n"));
  const orig = URL.createObjectURL;
  (URL as unknown as { createObjectURL: (b: Blob) => string }).createObjectURL = (b: Blob) => { return b.type === "application/javascript" ? workerFile : orig(b); };
  wasm.setWasmPaths(path.join(pkgDir, 'dist') + path.sep);
  const n = Number(process.env.THREADS ?? 2);
  wasm.setThreadsCount(n);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', n > 1);
  console.log("mt flag", await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
  const os2 = require("os"); const origCpus = os2.cpus; os2.cpus = () => { const c = origCpus(); return [...c, ...c]; };
  const ok = await tf.setBackend('wasm');
  URL.createObjectURL = orig; os2.cpus = origCpus;
  console.log('setBackend', ok, 'threads', wasm.getThreadsCount());
  const a = tf.randomNormal([4096, 256], 0, 1, 'float32', 1);
  const b = tf.randomNormal([256, 1024], 0, 1, 'float32', 2);
  for (let i = 0; i < 2; i++) tf.matMul(a, b).dataSync();
  let t0 = performance.now();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
  let ms = (performance.now() - t0) / 5;
  console.log(`matMul 4096x256x1024: ${ms.toFixed(1)} ms, ${(2 * 4096 * 256 * 1024 / ms / 1e6).toFixed(1)} GFLOP/s`);
  const x = tf.randomNormal([4096, 1024], 0, 1, 'float32', 1);
  t0 = performance.now();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.softmax(x).dataSync());
  console.log('softmax 4M', ((performance.now() - t0) / 5).toFixed(1));
  process.exit(0);
}
main().catch((e) => { console.error('FAILED', e); process.exit(1); });
