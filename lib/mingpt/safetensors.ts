/**
 * The safetensors format (huggingface/safetensors), read and written by hand. Pure functions on bytes, no tfjs.
 *
 *   [8 bytes: N, unsigned little-endian]  [N bytes: JSON header]  [data]
 *
 * The header maps each tensor name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, offsets
 * counted from the start of the data section; the optional key "__metadata__" maps strings to strings. Tensors
 * are stored row-major (C order), little-endian. The data section must be covered by the tensors exactly, with
 * no gaps and no overlaps; we check that, so a truncated or spliced file is refused instead of half-read.
 */

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface RawTensor {
  dtype: Dtype;
  shape: number[];
  /** The tensor's bytes, little-endian, row-major (a view into the file's buffer). */
  data: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Header larger than this is refused as corrupt (the format's own reference reader uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function fail(source: string, message: string): never {
  throw new Error(`${source}: ${message}`);
}

function describeStart(buf: Uint8Array): string {
  if (buf.length >= 2 && buf[0] === 0x50 && buf[1] === 0x4b) return ' (it starts with "PK": a zip file, such as a PyTorch torch.save .pt file)';
  if (buf.length >= 1 && buf[0] === 0x80) return ' (it starts like a Python pickle, such as an old PyTorch .pt file)';
  if (buf.length >= 1 && (buf[0] === 0x7b || buf[0] === 0x5b)) return ' (it starts like a JSON file)';
  return '';
}

/**
 * Parses a safetensors file. Errors name `source` (the file name) and what is wrong: not safetensors at all,
 * truncated, a bad header entry, or data that does not match the header.
 */
export function readSafetensors(buf: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (buf.length < 8) fail(source, `not a safetensors file: ${buf.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n < 2 || n > MAX_HEADER_BYTES || n > buf.length - 8) {
    const why = n > buf.length - 8 ? `larger than the ${buf.length - 8} bytes that follow` : 'implausible';
    fail(source, `not a safetensors file (or truncated): header length ${n} is ${why}${describeStart(buf)}`);
  }
  const headerText = new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(8, 8 + n));
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    fail(source, `not a safetensors file: the ${n}-byte header is not JSON (${(e as Error).message})${describeStart(buf)}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(source, 'safetensors header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; tensor: RawTensor; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null) fail(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(source, `__metadata__.${k} must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = entry?.dtype as Dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(source, `tensor ${name}: unknown dtype ${JSON.stringify(entry?.dtype)}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(source, `tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    const offs = entry.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      fail(source, `tensor ${name}: bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) fail(source, `tensor ${name}: ${end - begin} bytes for ${dtype} of shape [${shape}], expected ${expected}`);
    if (end > dataLength) {
      fail(source, `file is truncated: tensor ${name} ends at data byte ${end}, but the file holds only ${dataLength} bytes of data`);
    }
    entries.push({ name, begin, end, tensor: { dtype, shape: shape as number[], data: buf.subarray(dataStart + begin, dataStart + end) } });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      fail(source, e.begin < cursor ? `tensor ${e.name} overlaps the tensor before it` : `gap in the data before tensor ${e.name} (bytes ${cursor}..${e.begin})`);
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(source, `${dataLength - cursor} bytes after the last tensor: not a well-formed safetensors file`);
  return { tensors: new Map(entries.map((e) => [e.name, e.tensor])), metadata };
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/**
 * Serialises float tensors (in the given order) and string metadata, as float32 (the default) or float16
 * (`dtype: 'F16'`, each value rounded to the nearest half, ties to even: half the bytes, for shipping weights).
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so the data section
 * is aligned.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite> | [string, TensorToWrite][],
  metadata: Record<string, string> = {},
  opts: { dtype?: 'F32' | 'F16' } = {},
): Uint8Array {
  const list: [string, TensorToWrite][] = tensors instanceof Map ? [...tensors.entries()] : (tensors as [string, TensorToWrite][]);
  const dtype = opts.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new Error(`writeSafetensors: dtype must be F32 or F16, got ${JSON.stringify(dtype)}`);
  const bytes = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new Error('writeSafetensors: "__metadata__" cannot be a tensor name');
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`writeSafetensors: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes * size] };
    offset += bytes * size;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(headerBytes);
    headerBytes = withSpaces;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of list) {
    if (dtype === 'F32') for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
    else for (let i = 0; i < t.data.length; i++, pos += 2) view.setUint16(pos, floatToHalf(t.data[i]), true);
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The IEEE half-precision bits of a float32 value, rounded to nearest, ties to even; beyond the largest half
 * (65504) it is infinity, below the smallest subnormal (2^-24) it is a signed zero; NaN stays NaN.
 */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // the exponent in half's bias
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // under half the smallest subnormal: zero
    // Subnormal: the 24-bit significand (hidden 1 included) shifted right by 14 - e bits, rounded to even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1)) ? 1 : 0));
  }
  // Normal: keep 10 of the 23 mantissa bits, rounded to even; a carry moves into the exponent, as it should.
  const h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (h + (rest > 0x1000 || (rest === 0x1000 && (h & 1)) ? 1 : 0));
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
}

let halves: Float32Array | undefined;

/** Every half's value, by its bits (256 KB, made once): a lookup is far faster than halfToFloat per value. */
function halfTable(): Float32Array {
  if (!halves) {
    halves = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halves[h] = halfToFloat(h);
  }
  return halves;
}

/** The values of a floating-point tensor as float32 (F32 as is; F64, F16 and BF16 converted). */
export function toFloat32(t: RawTensor, name = 'tensor'): Float32Array {
  const n = t.data.length / DTYPE_BYTES[t.dtype];
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16': {
      const table = halfTable();
      for (let i = 0; i < n; i++) out[i] = table[view.getUint16(2 * i, true)];
      break;
    }
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    default:
      throw new Error(`${name}: dtype ${t.dtype} is not a floating-point type`);
  }
  return out;
}
