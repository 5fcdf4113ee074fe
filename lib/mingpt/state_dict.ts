/**
 * A model from a safetensors state_dict already in memory (checkpoint.ts reads and writes the files): the config
 * from the metadata or, for a plain PyTorch state_dict, from the tensor shapes; the vocabulary; and the weights,
 * assigned all or nothing. No file system here, so the browser page builds its models with the same code.
 * Errors name the checkpoint (`file`: its path, or what the bytes came from).
 */
import * as tf from '@tensorflow/tfjs';
import { GPTConfig, VARIANTS, Variant, validateConfig } from './config';
import { GPT } from './model';
import { RawTensor, SafetensorsFile, toFloat32 } from './safetensors';
import { Vocab } from '../data/vocab';

export interface CheckpointMeta {
  config: GPTConfig;
  vocab?: string[];
  [k: string]: unknown;
}

/**
 * Buffers a PyTorch model may keep in its state_dict that are not weights (the causal mask, a RoPE table):
 * recomputed here, so they are skipped when found.
 */
const IGNORED_BUFFERS = /^blocks\.\d+\.attn\.(mask|bias|rope_cache)$/;

const COURSE_DEFAULTS = { nHead: 8, blockSize: 128, dropout: 0.1 };

function parseJsonMeta<T>(file: string, key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`checkpoint ${file}: metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

function shapeOf(st: SafetensorsFile, name: string, file: string): number[] {
  const t = st.tensors.get(name);
  if (!t) throw new Error(`checkpoint ${file}: no tensor ${name}, cannot infer the model size`);
  return t.shape;
}

/** The config of a file with no `config` metadata, read off the tensor shapes. */
function inferConfig(st: SafetensorsFile, file: string, expect: Partial<GPTConfig>): GPTConfig {
  const [vocabSize, nEmbd] = shapeOf(st, 'tok_emb.weight', file);
  const variant: Variant = st.tensors.has('pos_emb') ? 'vanilla' : 'rope';
  let nLayer = 0;
  while (st.tensors.has(`blocks.${nLayer}.ln1.weight`)) nLayer++;
  const blockSize = variant === 'vanilla' ? shapeOf(st, 'pos_emb', file)[1] : (expect.blockSize ?? COURSE_DEFAULTS.blockSize);
  const config: GPTConfig = {
    vocabSize,
    blockSize,
    nLayer,
    nHead: expect.nHead ?? COURSE_DEFAULTS.nHead,
    nEmbd,
    dropout: expect.dropout ?? COURSE_DEFAULTS.dropout,
    variant,
  };
  try {
    validateConfig(config);
  } catch (e) {
    throw new Error(`checkpoint ${file}: the sizes inferred from its tensors do not make a model: ${(e as Error).message}`);
  }
  return config;
}

function describeVariant(v: Variant): string {
  return v === 'vanilla' ? 'vanilla (has pos_emb)' : 'rope (no pos_emb)';
}

/** Every way `expect` and the checkpoint's config disagree, in words. */
function configMismatches(have: GPTConfig, expect: Partial<GPTConfig>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(expect) as (keyof GPTConfig)[]) {
    const want = expect[key];
    if (want === undefined || key === 'dropout' || want === have[key]) continue;
    out.push(key === 'variant' ? `checkpoint is ${describeVariant(have.variant)}, expected ${describeVariant(want as Variant)}` : `checkpoint has ${key} ${have[key]}, expected ${want}`);
  }
  return out;
}

function sameChars(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length !== b.length) return `${a.length} characters vs ${b.length}`;
  const i = a.findIndex((c, j) => c !== b[j]);
  return i < 0 ? undefined : `id ${i} is ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}`;
}

/**
 * Builds the model a parsed checkpoint describes and loads its weights.
 * @param opts.vocab the vocabulary to use; required for a file without vocabulary metadata, and checked
 *   against the file's vocabulary when both are there.
 * @param opts.expect config fields the caller relies on (variant, sizes): any difference is an error.
 */
export function modelFromSafetensors(st: SafetensorsFile, file: string, opts: { vocab?: Vocab; expect?: Partial<GPTConfig> } = {}): { model: GPT; vocab: Vocab; meta: CheckpointMeta } {
  const expect = opts.expect ?? {};
  if (expect.variant !== undefined && !VARIANTS.includes(expect.variant)) throw new Error(`loadCheckpoint: expect.variant must be one of ${VARIANTS.join(', ')}`);
  const { config: configText, vocab: vocabText, ...rest } = st.metadata;
  let config: GPTConfig;
  if (configText !== undefined) {
    config = parseJsonMeta<GPTConfig>(file, 'config', configText);
    try {
      validateConfig(config);
    } catch (e) {
      throw new Error(`checkpoint ${file}: bad config metadata: ${(e as Error).message}`);
    }
  } else {
    config = inferConfig(st, file, expect);
  }
  const mismatches = configMismatches(config, expect);
  if (mismatches.length) throw new Error(`checkpoint ${file} does not fit: ${mismatches.join('; ')}`);

  let fileChars: string[] | undefined;
  if (vocabText !== undefined) {
    fileChars = parseJsonMeta<string[]>(file, 'vocab', vocabText);
    if (!Array.isArray(fileChars) || !fileChars.every((c) => typeof c === 'string')) throw new Error(`checkpoint ${file}: metadata "vocab" must be a JSON array of strings`);
  }
  let vocab: Vocab;
  if (opts.vocab) {
    if (fileChars) {
      const diff = sameChars(fileChars, opts.vocab.chars);
      if (diff) throw new Error(`checkpoint ${file} was trained with a different vocabulary than the one given: ${diff}`);
    }
    vocab = opts.vocab;
  } else if (fileChars) {
    vocab = Vocab.fromChars(fileChars);
  } else {
    throw new Error(`checkpoint ${file} has no vocabulary in its metadata (a plain PyTorch state_dict?): pass opts.vocab, built from the pretraining corpus`);
  }
  if (vocab.size !== config.vocabSize) {
    throw new Error(`checkpoint ${file}: vocabulary of ${vocab.size} characters, but the model has vocabSize ${config.vocabSize} (tok_emb.weight has ${config.vocabSize} rows)`);
  }
  const model = new GPT(config, 0);
  try {
    assignWeights(model, st, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const meta: CheckpointMeta = { ...rest, config, ...(fileChars ? { vocab: fileChars } : {}) };
  return { model, vocab, meta };
}

/** Loads the tensors of `st` into `model`, strictly (see `loadWeightsInto` of checkpoint.ts). */
export function assignWeights(model: GPT, st: SafetensorsFile, file: string): void {
  const variant = model.config.variant;
  const problems: string[] = [];
  if (st.tensors.has('pos_emb') && variant === 'rope') problems.push('checkpoint has pos_emb, model is rope');
  if (!st.tensors.has('pos_emb') && variant === 'vanilla') problems.push('checkpoint has no pos_emb, model is vanilla');
  const missing: string[] = [];
  const values = new Map<string, RawTensor>();
  for (const [name, v] of model.params) {
    const t = st.tensors.get(name);
    if (!t) {
      if (name !== 'pos_emb') missing.push(name);
      continue;
    }
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      problems.push(`${name}: checkpoint shape [${t.shape}], model [${v.shape}]${shapeHint(name, t.shape, model.config)}`);
    } else if (!['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) {
      problems.push(`${name}: dtype ${t.dtype}, expected a float type (F32)`);
    } else {
      values.set(name, t);
    }
  }
  if (missing.length) problems.push(`missing ${missing.length} tensor(s): ${listSome(missing)}`);
  const extra = [...st.tensors.keys()].filter((n) => !model.params.has(n) && n !== 'pos_emb' && !IGNORED_BUFFERS.test(n));
  if (extra.length) problems.push(`unexpected tensor(s) not in the model: ${listSome(extra)}`);
  if (problems.length) throw new Error(`checkpoint ${file} does not fit the model: ${problems.join('; ')}`);
  // Everything checked: only now touch the model.
  for (const [name, t] of values) {
    const v = model.params.get(name) as tf.Variable;
    tf.tidy(() => v.assign(tf.tensor(toFloat32(t, name), v.shape, 'float32')));
  }
}

function shapeHint(name: string, shape: number[], c: GPTConfig): string {
  if (name === 'tok_emb.weight' || name === 'head.weight') {
    return shape[0] !== c.vocabSize ? ` (vocabulary size ${shape[0]} vs ${c.vocabSize})` : ` (nEmbd ${shape[1]} vs ${c.nEmbd})`;
  }
  if (name === 'pos_emb' && shape[1] !== c.blockSize) return ` (blockSize ${shape[1]} vs ${c.blockSize})`;
  return '';
}

function listSome(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 6).join(', ')}, ... (${names.length - 6} more)`;
}
