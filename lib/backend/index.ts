/**
 * The one place that chooses the tfjs backend for the whole workbook.
 *
 * Order of preference: `tensorflow` (tfjs-node, native libtensorflow) when it can be loaded, else `wasm`
 * (XNNPACK, SIMD, the default on machines where tfjs-node cannot install), else the plain `cpu` backend,
 * which is correct but about 200x slower than PyTorch for training. The environment variable
 * `TFJS_BACKEND` (`tensorflow`, `wasm` or `cpu`) overrides the choice.
 *
 * Loading the wasm backend also installs the fixes in `wasm_fixes.ts`, without which training on wasm is
 * either impossible (no gradient for embedding lookups) or very slow (transposed matMuls), and puts its matrix
 * products on OpenBLAS where that library is installed (`native_blas.ts`; `MINGPT_BLAS=off` keeps XNNPACK).
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'path';
import { checkoutRoot } from '../util/checkout';
import { openblasCoreOf } from './native_blas';
import { installWasmFixes, nativeBlasStatus } from './wasm_fixes';
import { unrefWasmWorkers, withThreadedWasmPatches } from './wasm_threads';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The active tfjs backend. */
  name: BackendName;
  /** Why this one: which were tried and what failed. */
  reason: string;
  /** tfjs version string. */
  tfjsVersion: string;
}

let active: BackendInfo | undefined;

function wasmDir(): string {
  // Resolve the folder of the .wasm binaries from the installed package, wherever node_modules is.
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

async function tryTensorflow(): Promise<string | undefined> {
  try {
    // tfjs-node is an optional dependency: absent on machines where its native download failed.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('@tensorflow/tfjs-node');
  } catch (e) {
    return `tfjs-node not available (${firstLine(e)})`;
  }
  return (await tf.setBackend('tensorflow')) ? undefined : 'tfjs-node loaded but setBackend failed';
}

/**
 * XNNPACK threads for the wasm backend: $WASM_THREADS, else 1. With more than one, the threaded build is
 * started through the patches of `wasm_threads.ts`. (One is the default because on a busy 2-core machine
 * two threads measured slower: each op waits for its slowest thread. See bench/README.md.)
 */
export function wasmThreadsWanted(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WASM_THREADS;
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`WASM_THREADS="${raw}" must be an integer from 1 to 8`);
  return n;
}

let wasmThreads = 1;

/** Threads the wasm backend runs XNNPACK with (1 until it is started). */
export function wasmThreadCount(): number {
  return wasmThreads;
}

async function tryWasm(): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    const threads = wasmThreadsWanted();
    wasm.setThreadsCount(threads);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
    const started = threads > 1
      ? await withThreadedWasmPatches(path.dirname(wasmDir()), () => tf.setBackend('wasm'))
      : await tf.setBackend('wasm');
    if (!started) return 'setBackend("wasm") returned false';
    wasmThreads = wasm.getThreadsCount();
    if (threads > 1) unrefWasmWorkers((tf.backend() as unknown as { wasm: unknown }).wasm);
    installWasmFixes();
    return undefined;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('MINGPT_BLAS=on')) throw e;
    return `wasm failed (${firstLine(e)})`;
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/** Parses a backend name, with an error that lists the valid ones. */
export function parseBackendName(value: string, source = 'TFJS_BACKEND'): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`${source}="${value}" is not a backend: use one of ${BACKEND_NAMES.join(', ')}`);
}

/**
 * Picks and activates the backend (once; later calls return the same answer unless `force` is given).
 * @param prefer a backend to use instead of the automatic choice; defaults to $TFJS_BACKEND.
 */
export async function initBackend(prefer?: BackendName, force = false): Promise<BackendInfo> {
  const wanted = prefer ?? (process.env.TFJS_BACKEND ? parseBackendName(process.env.TFJS_BACKEND) : undefined);
  if (active && !force && (wanted === undefined || wanted === active.name)) return active;
  const notes: string[] = [];
  const order: BackendName[] = wanted ? [wanted] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    let failure: string | undefined;
    if (name === 'tensorflow') failure = await tryTensorflow();
    else if (name === 'wasm') failure = await tryWasm();
    else failure = (await tf.setBackend('cpu')) ? undefined : 'setBackend("cpu") returned false';
    if (failure === undefined) {
      await tf.ready();
      const reason = wanted ? `requested${prefer ? '' : ' by TFJS_BACKEND'}` : notes.length ? notes.join('; ') : 'first choice';
      active = { name, reason, tfjsVersion: tf.version.tfjs };
      return active;
    }
    notes.push(failure);
    if (wanted) throw new Error(`backend "${name}" could not be started: ${failure}`);
  }
  throw new Error(`no tfjs backend could be started: ${notes.join('; ')}`);
}

/** The active backend, or undefined before `initBackend`. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}

/** One line for the first output of every notebook. */
export function describeBackend(info: BackendInfo): string {
  const threads = info.name === 'wasm' && wasmThreads > 1 ? `, ${wasmThreads} threads` : '';
  const blas = info.name === 'wasm' ? `, ${nativeBlasStatus().reason}` : '';
  return `tfjs ${info.tfjsVersion} on backend "${info.name}"${threads}${blas} (${info.reason})`;
}

/** The engine of the matrix products, in a few words: "matMul on OpenBLAS 0.3.21 (Cooperlake kernels)". */
export function matMulEngine(info: BackendInfo): string {
  if (info.name === 'tensorflow') return 'matMul in libtensorflow';
  if (info.name === 'cpu') return 'matMul in plain JavaScript';
  const status = nativeBlasStatus();
  if (status.blas && status.active) {
    const version = status.blas.config.split(/\s+/).slice(0, 2).join(' ');
    const core = openblasCoreOf(status.blas.config);
    return `matMul on ${version}${core ? ` (${core} kernels)` : ''}`;
  }
  return status.blas ? 'matMul on XNNPACK (OpenBLAS switched off)' : 'matMul on XNNPACK (OpenBLAS not loaded: backendHelp() says why)';
}

/**
 * The first output of every notebook, one line: backend, matrix-product engine, checkout, e.g.
 * `tfjs wasm · matMul on OpenBLAS 0.3.21 (Cooperlake kernels) · checkout /srv/course/workbook`.
 * The details (versions, threads, why a backend or OpenBLAS was not used) are in `backendHelp()`.
 */
export function describeSession(info: BackendInfo): string {
  return `tfjs ${info.name} · ${matMulEngine(info)} · checkout ${checkoutRoot()}`;
}

/** Everything the first line leaves out: tfjs version, threads, and why this backend and matMul engine. */
export function backendHelp(info: BackendInfo | undefined = active): string {
  if (!info) return 'No backend started yet: run initBackend() first.';
  const lines = [
    `tfjs ${info.tfjsVersion}, backend "${info.name}" (${info.reason}).`,
    'Choose one with TFJS_BACKEND=tensorflow|wasm|cpu (README, "Backends").',
  ];
  if (info.name === 'wasm') {
    lines.push(`XNNPACK threads: ${wasmThreads}.`, `Matrix products: ${nativeBlasStatus().reason}.`);
    lines.push('MINGPT_BLAS=off keeps XNNPACK, MINGPT_BLAS=on fails when OpenBLAS cannot load, MINGPT_BLAS_LIB names another library file.');
  }
  return lines.join('\n');
}
