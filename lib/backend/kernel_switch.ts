/**
 * The switch of the wasm backend's faster kernels (`wasm_fixes.ts`), apart from the kernels themselves: `ops.ts`
 * reads it on every GELU and LayerNorm, and `ops.ts` is model code that also runs in a browser page, where the
 * Node-only half of the fixes (OpenBLAS through koffi) cannot be bundled.
 */

let installed = false;
let fastKernels = true;

/** Switches the kernels of `wasm_kernels.ts` on or off (on by default); returns the previous setting. */
export function setFastWasmKernels(on: boolean): boolean {
  const before = fastKernels;
  fastKernels = on;
  return before;
}

/** The switch alone, installed or not. */
export function fastKernelsWanted(): boolean {
  return fastKernels;
}

/** Whether the faster kernels are on (`setFastWasmKernels`) and installed: then `ops` uses the fused ones. */
export function fastWasmKernelsOn(): boolean {
  return installed && fastKernels;
}

/** Called once by `installWasmFixes`. */
export function markWasmFixesInstalled(): void {
  installed = true;
}

/** Whether `installWasmFixes` has run in this process. */
export function wasmFixesInstalled(): boolean {
  return installed;
}
