/**
 * Model checkpoints as safetensors files that PyTorch reads and writes too.
 *
 * Tensors: exactly the course model's state_dict, same names, same shapes, float32 little-endian:
 *
 *   pos_emb                        [1, blockSize, C]     (vanilla only)
 *   tok_emb.weight                 [vocabSize, C]
 *   blocks.N.ln1.weight / .bias    [C]
 *   blocks.N.ln2.weight / .bias    [C]
 *   blocks.N.attn.qkv.weight       [3C, C]   (Linear weights are [out, in]; rows of head h: [q_h | k_h | v_h])
 *   blocks.N.attn.qkv.bias         [3C]
 *   blocks.N.attn.proj.weight      [C, C],  .bias [C]
 *   blocks.N.mlp.0.weight          [4C, C], .bias [4C]
 *   blocks.N.mlp.2.weight          [C, 4C], .bias [C]
 *   ln_f.weight / .bias            [C]
 *   head.weight                    [vocabSize, C]
 *
 * Metadata (strings): `format` = "pt", `config` = the GPTConfig as JSON, `vocab` = the vocabulary's characters
 * as a JSON array (index = id), plus any extra strings the caller adds. A file written straight from a PyTorch
 * state_dict has none of these and loads too: sizes come from the tensor shapes (nHead cannot be seen in any
 * shape and defaults to the course's 8, blockSize of a rope model to 128, unless `expect` says otherwise), the
 * variant from whether `pos_emb` is there, the vocabulary from the caller (the pretraining corpus, as run.py).
 *
 * Loading is all or nothing: every mismatch is found and reported before any weight is assigned.
 */
import * as fs from 'fs';
import { GPTConfig } from './config';
import { GPT } from './model';
import { SafetensorsFile, readSafetensors, writeSafetensors, TensorToWrite } from './safetensors';
import { CheckpointMeta, assignWeights, modelFromSafetensors } from './state_dict';
import { Vocab } from '../data/vocab';
import { writeFileAtomic } from '../util/atomic';

export type { CheckpointMeta } from './state_dict';

/** Writes model and vocabulary to `file` atomically (temp file + rename). `extra` goes into the metadata. */
export function saveCheckpoint(file: string, model: GPT, vocab: Vocab, extra: Record<string, string> = {}): void {
  if (vocab.size !== model.config.vocabSize) {
    throw new Error(`saveCheckpoint(${file}): vocabulary has ${vocab.size} characters, model.config.vocabSize is ${model.config.vocabSize}`);
  }
  for (const k of ['format', 'config', 'vocab']) if (k in extra) throw new Error(`saveCheckpoint(${file}): extra metadata key "${k}" is reserved`);
  const tensors: [string, TensorToWrite][] = [];
  for (const [name, v] of model.params) tensors.push([name, { shape: v.shape, data: v.dataSync() as Float32Array }]);
  const metadata = { ...extra, format: 'pt', config: JSON.stringify(model.config), vocab: JSON.stringify(vocab.chars) };
  writeFileAtomic(file, writeSafetensors(tensors, metadata));
}

function readFile(file: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`checkpoint ${file}: cannot read (${(e as Error).message})`);
  }
  return readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), `checkpoint ${file}`);
}

/**
 * Builds the model a checkpoint describes and loads its weights.
 * @param opts.vocab the vocabulary to use; required for a file without vocabulary metadata, and checked
 *   against the file's vocabulary when both are there.
 * @param opts.expect config fields the caller relies on (variant, sizes): any difference is an error.
 */
export function loadCheckpoint(file: string, opts: { vocab?: Vocab; expect?: Partial<GPTConfig> } = {}): { model: GPT; vocab: Vocab; meta: CheckpointMeta } {
  return modelFromSafetensors(readFile(file), file, opts);
}

/**
 * Loads a checkpoint's weights into an existing model, strictly: every tensor present, every shape equal, no
 * unknown tensor. Errors name the mismatch ("checkpoint has pos_emb, model is rope").
 */
export function loadWeightsInto(model: GPT, file: string): void {
  assignWeights(model, readFile(file), file);
}

