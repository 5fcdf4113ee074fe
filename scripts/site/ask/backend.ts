/**
 * The tfjs backend of the page, chosen at load: WebGL where a GPU draws it, else WebAssembly (SIMD) on the CPU,
 * else tfjs's plain JavaScript backend. WebGL on a software renderer (SwiftShader, llvmpipe: what a machine
 * without a GPU offers) is slower than WebAssembly, so it is taken only when the renderer is hardware, or when the
 * reader asks for it (`?backend=webgl`).
 *
 * Offline from file:// and from any static host: the wasm binary comes from a script file that delivers it as
 * base64 (a page opened from file:// may not fetch() a file next to it, but may load a script), turned into a
 * blob: URL for tfjs. No threads: they need a cross-origin-isolated page, which file:// never is.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installFusedMatMulBiasFix } from '../../../lib/backend/wasm_bias_fix';
import { loadDelivered } from './load';

export type BackendName = 'webgl' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** Why this one, in words, for the page. */
  why: string;
}

/** The WebGL renderer's name, or undefined without WebGL 2. */
function webglRenderer(): string | undefined {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return undefined;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return name;
  } catch {
    return undefined;
  }
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i;

async function start(name: BackendName, wasmFiles: Record<string, string>): Promise<void> {
  if (name === 'wasm') {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
    const file = wasmFiles[simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm'];
    const bytes = await loadDelivered(file);
    const url = URL.createObjectURL(new Blob([bytes.buffer as ArrayBuffer], { type: 'application/wasm' }));
    setWasmPaths({ 'tfjs-backend-wasm.wasm': url, 'tfjs-backend-wasm-simd.wasm': url, 'tfjs-backend-wasm-threaded-simd.wasm': url });
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start its ${name} backend`);
  await tf.ready();
  if (name === 'wasm') installFusedMatMulBiasFix();
}

/**
 * Starts a backend: `requested` when given (from ?backend=), else the best one this browser offers; a backend
 * that fails to start gives way to the next. Returns the one running and why.
 */
export async function chooseBackend(requested: BackendName | undefined, wasmFiles: Record<string, string>): Promise<BackendChoice> {
  const renderer = webglRenderer();
  const order: { name: BackendName; why: string }[] = [];
  if (requested) order.push({ name: requested, why: `asked for in the address (?backend=${requested})` });
  if (renderer && !SOFTWARE.test(renderer)) order.push({ name: 'webgl', why: `WebGL on the GPU (${renderer})` });
  order.push({
    name: 'wasm',
    why: renderer ? `WebAssembly on the CPU: WebGL here is drawn in software (${renderer}), which is slower` : 'WebAssembly on the CPU (no WebGL 2 here)',
  });
  order.push({ name: 'cpu', why: 'plain JavaScript (WebGL and WebAssembly did not start)' });
  const failures: string[] = [];
  for (const o of order) {
    if (failures.some((f) => f.startsWith(o.name + ':'))) continue;
    try {
      await start(o.name, wasmFiles);
      return { name: o.name, why: failures.length ? `${o.why}; ${failures.join('; ')}` : o.why };
    } catch (e) {
      failures.push(`${o.name}: ${(e as Error).message ?? e}`);
    }
  }
  throw new Error(`no tfjs backend started (${failures.join('; ')})`);
}
