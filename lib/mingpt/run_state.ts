/**
 * The training-state checkpoint that makes a run resumable: the model's weights, AdamW's two moments, and as
 * JSON the step, the token count, the loss curve and a fingerprint of the run's settings. (The random state
 * needs no saving: data order, corruption and dropout are pure functions of (seed, step), see trainer.ts.)
 *
 * The file is a safetensors file (safetensors.ts), tensors named `model.<param>`, `adam.m.<param>`, `adam.v.<param>`, the JSON in the header's
 * `__metadata__.state`. It is written atomically, so a run killed while saving keeps the previous one.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../util/atomic';
import { readSafetensors, toFloat32, writeSafetensors } from './safetensors';
import type { Trainer, TrainerState, CurvePoint } from './trainer';

export const STATE_FORMAT = 'mingpt-train-state/1';

/** What must match for a saved state to be resumed by a run (anything that changes the computation). */
export type RunFingerprint = Record<string, string | number | boolean | null>;

export interface SavedState {
  fingerprint: RunFingerprint;
  /** When the run's first session started (absent in states saved before it was kept). */
  runStartedAt?: string;
  trainer: TrainerState;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
}

interface Meta {
  format: string;
  fingerprint: RunFingerprint;
  step: number;
  tokens: number;
  optimizerStep: number;
  curve: CurvePoint[];
  /** Training seconds and sessions so far (absent in states saved before they were kept). */
  seconds?: number;
  sessions?: number;
  runStartedAt?: string;
}

/**
 * Saves the model's weights and the trainer's state, atomically. `runStartedAt` (when the run's first session
 * started) ties the records of every session of one run together.
 */
export function saveTrainingState(file: string, trainer: Trainer, fingerprint: RunFingerprint, runStartedAt?: string): void {
  const state = trainer.getState();
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, p] of trainer.model.params) tensors.set(`model.${name}`, { shape: p.shape.slice(), data: Float32Array.from(p.dataSync()) });
  for (const [name, p] of trainer.model.params) {
    tensors.set(`adam.m.${name}`, { shape: p.shape.slice(), data: state.optimizer.m.get(name)! });
    tensors.set(`adam.v.${name}`, { shape: p.shape.slice(), data: state.optimizer.v.get(name)! });
  }
  const meta: Meta = {
    format: STATE_FORMAT, fingerprint, step: state.step, tokens: state.tokens,
    optimizerStep: state.optimizer.step, curve: state.curve, seconds: state.seconds, sessions: state.sessions,
    ...(runStartedAt !== undefined ? { runStartedAt } : {}),
  };
  writeFileAtomic(file, writeSafetensors(tensors, { state: JSON.stringify(meta) }));
}

/** Reads a training state saved by `saveTrainingState`. */
export function readTrainingState(file: string): SavedState {
  const { tensors: raw, metadata } = readSafetensors(fs.readFileSync(file), file);
  const tensors = new Map([...raw].map(([name, t]) => [name, { shape: t.shape, values: toFloat32(t, name) }]));
  let meta: Meta;
  try {
    meta = JSON.parse(metadata.state ?? '') as Meta;
  } catch {
    throw new Error(`${file}: not a training-state checkpoint (no readable "state" metadata)`);
  }
  if (meta.format !== STATE_FORMAT) throw new Error(`${file}: format "${meta.format}", expected "${STATE_FORMAT}"`);
  const pick = (prefix: string): Map<string, { shape: number[]; values: Float32Array }> => {
    const out = new Map<string, { shape: number[]; values: Float32Array }>();
    for (const [name, t] of tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
    return out;
  };
  const values = (m: Map<string, { shape: number[]; values: Float32Array }>): Map<string, Float32Array> =>
    new Map([...m].map(([k, t]) => [k, t.values]));
  return {
    fingerprint: meta.fingerprint,
    ...(meta.runStartedAt !== undefined ? { runStartedAt: meta.runStartedAt } : {}),
    weights: pick('model.'),
    trainer: {
      step: meta.step, tokens: meta.tokens, curve: meta.curve, seconds: meta.seconds ?? 0, sessions: meta.sessions ?? 0,
      optimizer: { step: meta.optimizerStep, m: values(pick('adam.m.')), v: values(pick('adam.v.')) },
    },
  };
}

/** Describes how two fingerprints differ, or returns undefined when they agree. */
export function fingerprintMismatch(saved: RunFingerprint, current: RunFingerprint): string | undefined {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  const diffs: string[] = [];
  for (const k of keys) if (saved[k] !== current[k]) diffs.push(`${k}: saved ${JSON.stringify(saved[k])}, now ${JSON.stringify(current[k])}`);
  return diffs.length ? diffs.join('; ') : undefined;
}

/** Puts saved weights and optimizer state back into a trainer (and its model). */
export function restoreTrainingState(trainer: Trainer, saved: SavedState, file: string): void {
  for (const [name, p] of trainer.model.params) {
    const w = saved.weights.get(name);
    if (!w) throw new Error(`${file}: no weights for parameter "${name}"`);
    if (w.values.length !== p.size) throw new Error(`${file}: "${name}" has ${w.values.length} values, the model expects ${p.size}`);
    tf.tidy(() => p.assign(tf.tensor(w.values, p.shape, 'float32')));
  }
  trainer.setState(saved.trainer);
}
