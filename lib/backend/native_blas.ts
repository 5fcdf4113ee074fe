/**
 * Matrix products of the wasm backend on the machine's own BLAS (OpenBLAS), called in place on the wasm heap.
 *
 * Why: XNNPACK inside tfjs-backend-wasm multiplies at about 30 GFLOP/s on one thread here (wasm SIMD is 128
 * bits wide, without fused multiply-add), while OpenBLAS reaches 120 GFLOP/s per core with AVX2/AVX-512 FMA
 * (bench/README.md). Matrix products are about 70% of a training step, so this is where PyTorch's speed is.
 *
 * How: `koffi` (an FFI with prebuilt binaries on npm, no compiler needed) loads `libopenblas.so.0` and calls
 * `cblas_sgemm` with Float32Array views of the wasm memory: no copy in or out, and transposes are free (they
 * are BLAS flags). Everything else stays on the wasm backend. It is optional in every way: no koffi, no
 * OpenBLAS, or `MINGPT_BLAS=off`, and the products run on XNNPACK as before.
 *
 * Environment:
 * - `MINGPT_BLAS`: `auto` (default: use OpenBLAS when it loads), `off`, or `on` (fail when it does not load).
 * - `MINGPT_BLAS_LIB`: a path or file name of the library, instead of the usual OpenBLAS names.
 * - `OPENBLAS_NUM_THREADS`: OpenBLAS's own setting, read by the library (default: all cores).
 * - `OPENBLAS_CORETYPE`: OpenBLAS's kernel family; when unset it is chosen from the CPU's flags (openblasCoreTypeFor).
 */
import * as fs from 'node:fs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs';
import { productPlan, sizeOf } from './wasm_kernels';

export type BlasMode = 'auto' | 'on' | 'off';

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** C = alpha op(A) op(B) + beta C on row-major float32 arrays (views of the wasm heap). */
export type Sgemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number) => void;

export interface NativeBlas {
  /** e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64" */
  config: string;
  /** The file it was loaded from. */
  library: string;
  threads: number;
  sgemm: Sgemm;
  /** OpenBLAS's thread count for later calls, process-wide (1 when several threads call it at once). */
  setThreads(n: number): void;
}

export interface BlasLoad {
  blas?: NativeBlas;
  /** Why it is or is not in use, for describeBackend. */
  reason: string;
}

const LIBRARY_NAMES = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib', 'libopenblas.0.dylib'];

/**
 * The OpenBLAS kernel family for a CPU with these instruction-set flags (as /proc/cpuinfo lists them), or
 * undefined to leave the choice to OpenBLAS. Why: OpenBLAS picks its kernels from the CPU's model number, and on
 * a model newer than the library it falls back to its SSE3 kernels ("Prescott"). Measured on an Intel Xeon of
 * family 6, model 207 with Debian's OpenBLAS 0.3.21: a 512 x 512 product on one thread at 13.6 GFLOP/s with the
 * fallback, 61.3 with Haswell kernels, 94.7 SkylakeX, 137.7 Cooperlake; a training step of the course's model
 * 5.1 s against 2.1 s (bench/README.md). The flags say which kernels the CPU can run, whatever its model.
 */
export function openblasCoreTypeFor(flags: ReadonlySet<string>): string | undefined {
  const has = (...names: string[]) => names.every((f) => flags.has(f));
  const avx512 = has('avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl');
  if (avx512 && has('avx512_bf16')) return 'Cooperlake';
  if (avx512) return 'SkylakeX';
  if (has('avx2', 'fma')) return 'Haswell';
  return undefined;
}

/** The flags of the first processor in /proc/cpuinfo (x86 Linux); empty where there is no such file or line. */
export function cpuFlags(cpuinfo = '/proc/cpuinfo'): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(cpuinfo, 'utf8');
  } catch {
    return new Set();
  }
  const line = /^flags\s*:(.*)$/m.exec(text);
  return new Set(line ? line[1].trim().split(/\s+/) : []);
}

/** The kernel family in OpenBLAS's config string ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64"). */
export function openblasCoreOf(config: string): string | undefined {
  const words = config.split(/\s+/);
  const i = words.findIndex((w) => w.startsWith('MAX_THREADS='));
  return i > 0 && !/^(NO_|DYNAMIC_|USE_)/.test(words[i - 1]) ? words[i - 1] : undefined;
}

/** Reads MINGPT_BLAS, with an error that names the variable and the valid values. */
export function blasMode(env: NodeJS.ProcessEnv = process.env): BlasMode {
  const raw = (env.MINGPT_BLAS ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'auto') return 'auto';
  if (raw === 'on' || raw === 'off') return raw;
  throw new Error(`MINGPT_BLAS="${env.MINGPT_BLAS}" must be one of auto, on, off`);
}

/** The koffi surface used here (its own typings use `any` for functions). */
interface Koffi {
  load(path: string): { func(definition: string): (...args: unknown[]) => unknown };
}

/** The kernel family this module put into OPENBLAS_CORETYPE, if it did. */
let coreChosenHere: string | undefined;

/**
 * Loads OpenBLAS through koffi. Never throws for a missing library in `auto` mode: the reason comes back
 * instead, and the caller keeps XNNPACK.
 */
export function loadNativeBlas(env: NodeJS.ProcessEnv = process.env): BlasLoad {
  const mode = blasMode(env);
  if (mode === 'off') return { reason: 'MINGPT_BLAS=off' };
  let koffi: Koffi;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    koffi = require('koffi') as Koffi;
  } catch (e) {
    return fail(mode, `koffi not available (${firstLine(e)})`);
  }
  // OpenBLAS reads OPENBLAS_CORETYPE from the process's environment once, when it is loaded: set it first,
  // unless the user did.
  if (!process.env.OPENBLAS_CORETYPE) {
    coreChosenHere = openblasCoreTypeFor(cpuFlags());
    if (coreChosenHere) process.env.OPENBLAS_CORETYPE = coreChosenHere;
  }
  const names = env.MINGPT_BLAS_LIB ? [env.MINGPT_BLAS_LIB] : LIBRARY_NAMES;
  const errors: string[] = [];
  for (const library of names) {
    try {
      const lib = koffi.load(library);
      const gemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)');
      const getConfig = lib.func('const char *openblas_get_config()');
      const getThreads = lib.func('int openblas_get_num_threads()');
      const setThreads = lib.func('void openblas_set_num_threads(int)');
      const sgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
        gemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      };
      const blas: NativeBlas = {
        config: String(getConfig()).trim(), library, threads: Number(getThreads()), sgemm,
        setThreads(n: number) {
          setThreads(n);
          blas.threads = Number(getThreads());
        },
      };
      if (!selfTest(blas)) return fail(mode, `${library}: cblas_sgemm gave a wrong product in the self-test`);
      const core = openblasCoreOf(blas.config);
      const kernels = core ? ` (${core} kernels${coreChosenHere === core ? ", chosen from the CPU's flags" : ''})` : '';
      return { blas, reason: `matMul on ${blas.config.split(' ').slice(0, 2).join(' ')}${kernels}, ${blas.threads} thread${blas.threads === 1 ? '' : 's'}` };
    } catch (e) {
      errors.push(`${library}: ${firstLine(e)}`);
    }
  }
  return fail(mode, `OpenBLAS not found (${errors.join('; ')}); install it with apt-get install libopenblas0-pthread`);
}

function fail(mode: BlasMode, reason: string): BlasLoad {
  if (mode === 'on') throw new Error(`MINGPT_BLAS=on but ${reason}`);
  return { reason: `matMul on XNNPACK: ${reason}` };
}

/** A 2x3 by 3x2 product with known answer, through subarray views (as the kernels call it). */
function selfTest(blas: NativeBlas): boolean {
  const mem = new Float32Array(32);
  mem.set([1, 2, 3, 4, 5, 6], 4); // A at 4: [[1,2,3],[4,5,6]]
  mem.set([1, 0, 0, 1, 1, 1], 12); // B at 12: [[1,0],[0,1],[1,1]]
  const c = mem.subarray(20, 24);
  blas.sgemm(false, false, 2, 2, 3, 1, mem.subarray(4, 10), 3, mem.subarray(12, 18), 2, 0, c, 2);
  return [4, 5, 10, 11].every((v, i) => c[i] === v) && mem[19] === 0 && mem[24] === 0;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/**
 * out = op(a) op(b) (+ bias) for float32 tensors of shape (..., m, k) x (..., k, n), op a transpose of the last
 * two axes when its flag is set, batch axes equal or one side a single matrix (batch 1, broadcast). Returns
 * undefined for anything else (other dtypes, other broadcasts, a bias that is not a row of n values or a
 * scalar): the caller then uses the wasm kernel.
 */
export function blasMatMul(blas: NativeBlas, backend: BackendWasm, a: TensorInfo, b: TensorInfo,
  transposeA: boolean, transposeB: boolean, bias?: TensorInfo): TensorInfo | undefined {
  const plan = productPlan(a, b, transposeA, transposeB);
  if (!plan) return undefined;
  const { m, k, n, aBatch, bBatch, batch, outer } = plan;
  let biasSize = 0;
  if (bias) {
    biasSize = sizeOf(bias.shape);
    if (bias.dtype !== 'float32' || (biasSize !== n && biasSize !== 1) || (biasSize === n && bias.shape[bias.shape.length - 1] !== n)) return undefined;
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  // makeOutput may grow the heap, which detaches earlier views: take every view after it.
  const av = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = backend.typedArrayFromHeap(b) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  if (m === 0 || n === 0) return out;
  if (bias) {
    const bs = backend.typedArrayFromHeap(bias) as Float32Array;
    if (biasSize === 1) ov.fill(bs[0]);
    else for (let r = 0; r < ov.length; r += n) ov.set(bs, r);
  } else if (k === 0) {
    ov.fill(0);
  }
  if (k === 0) return out; // an empty sum: the bias alone, or zeros (and BLAS rejects a leading dimension of 0)
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const aStep = aBatch === 1 ? 0 : m * k, bStep = bBatch === 1 ? 0 : k * n;
  const beta = bias ? 1 : 0;
  for (let i = 0; i < batch; i++) {
    blas.sgemm(transposeA, transposeB, m, n, k, 1,
      av.subarray(i * aStep, i * aStep + m * k), lda,
      bv.subarray(i * bStep, i * bStep + k * n), ldb,
      beta, ov.subarray(i * m * n, (i + 1) * m * n), n);
  }
  return out;
}

let ones = new Float32Array(0);

/**
 * sum over the leading axes [0, r) of a float32 tensor, r < rank (the gradient of every bias and LayerNorm
 * gain): out (1 x C) = ones (1 x N) X (N x C) on BLAS. wasm's Sum first transposes the reduced axes to the
 * end, a full copy. Returns undefined for any other reduction (the caller keeps wasm's kernel).
 */
export function blasSumLeading(blas: NativeBlas, backend: BackendWasm, x: TensorInfo, axis: number | number[], keepDims: boolean): TensorInfo | undefined {
  if (x.dtype !== 'float32') return undefined;
  const rank = x.shape.length;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  const r = axes.length;
  if (r === 0 || r >= rank || axes.some((a, i) => a !== i)) return undefined;
  const n = sizeOf(x.shape.slice(0, r)), c = sizeOf(x.shape.slice(r));
  if (n === 0 || c === 0) return undefined;
  const outShape = keepDims ? [...x.shape.slice(0, r).map(() => 1), ...x.shape.slice(r)] : x.shape.slice(r);
  const out = backend.makeOutput(outShape, 'float32');
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  if (ones.length < n) ones = new Float32Array(Math.max(n, 2 * ones.length)).fill(1);
  blas.sgemm(false, false, 1, c, n, 1, ones, n, xv, c, 0, ov, c);
  return out;
}
