/**
 * Starting the multi-threaded wasm build (XNNPACK with a pthreads pool) under Node.
 *
 * tfjs-backend-wasm ships `tfjs-backend-wasm-threaded-simd.wasm`, but in Node its start-up fails twice over:
 * 1. Emscripten starts each pthread as a Worker from the URL that tfjs makes with `URL.createObjectURL(blob)`;
 *    Node's Worker cannot load blob: URLs. We write the worker script to a file once and hand out its path
 *    (only while the backend starts), and point the worker at the emscripten glue file instead of the blob
 *    tfjs would send it.
 * 2. The C side caps the pool at `logical cores / 2` (it assumes two hyperthreads per core), which is one
 *    thread on a 2-core machine. The core count comes from `os.cpus()`, so we report twice the cores while
 *    the module initialises; the pool then gets the number of threads asked for.
 * Both patches are undone as soon as the backend is up.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';

// The module object itself (not an import namespace, whose properties are read-only), so cpus can be swapped.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const nodeOs = require('os') as typeof os;

/** Writes (once) the pthread worker script and returns its path. */
function workerScript(pkgDir: string): string {
  const glue = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const source = (require(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents;
  const loadBlob = 'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}';
  if (!source.includes(loadBlob)) throw new Error('wasm threads: the worker script of tfjs-backend-wasm has changed; cannot patch it');
  // Newlines inside the script's string literals must stay escaped (tfjs does the same before making its blob).
  const patched = source.replace(loadBlob, `if(true){importScripts(${JSON.stringify(glue)})}`).replace(/\n/g, '\\n');
  const hash = createHash('sha1').update(patched).digest('hex').slice(0, 12);
  const file = path.join(os.tmpdir(), `tfjs-wasm-pthread-worker-${hash}.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, patched);
    fs.renameSync(tmp, file); // atomic: a parallel process never reads half a file
  }
  return file;
}

interface PThreadPool {
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
}

/**
 * Lets Node exit while the pool's threads wait for work: emscripten keeps a reference on every running
 * pthread worker, so a script (or mocha) would otherwise never end after its last line.
 */
export function unrefWasmWorkers(wasmModule: unknown): void {
  const pool = (wasmModule as PThreadPool).PThread;
  if (!pool) return;
  for (const w of [...pool.runningWorkers, ...pool.unusedWorkers]) w.unref();
}

/**
 * Runs `start` (which must call tf.setBackend('wasm')) with the patches in place, then removes them.
 * @param pkgDir the installed @tensorflow/tfjs-backend-wasm folder
 */
export async function withThreadedWasmPatches<T>(pkgDir: string, start: () => Promise<T>): Promise<T> {
  const file = workerScript(pkgDir);
  const urlApi = URL as unknown as { createObjectURL: (b: Blob) => string };
  const originalCreate = urlApi.createObjectURL;
  const originalCpus = nodeOs.cpus;
  urlApi.createObjectURL = (b: Blob) => (b.type === 'application/javascript' ? file : originalCreate(b));
  nodeOs.cpus = () => {
    const c = originalCpus();
    return [...c, ...c];
  };
  try {
    return await start();
  } finally {
    urlApi.createObjectURL = originalCreate;
    nodeOs.cpus = originalCpus;
  }
}
