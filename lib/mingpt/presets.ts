/**
 * Scale presets: the same experiments at the size a machine allows.
 *
 * - `full`: exactly the course (model 4 layers x 8 heads x 256 wide, block 128; pretraining 650 epochs,
 *   batch 128, lr 6e-3; finetuning 75 epochs from scratch or 10 from pretrained weights, batch 256, lr 6e-4;
 *   warm-up 512 * 20 tokens; final_tokens = 200 * len(pretrain_dataset) * block_size). Days on a CPU.
 * - `cpu`: a smaller model and fewer epochs, an hour or two on a laptop CPU (see the measurements in
 *   the CLI's `--help`), enough for the pretraining-helps effect to show on the synthetic world.
 * - `smoke`: seconds to a couple of minutes; checks that everything runs and learns (tests, CI).
 *
 * `cpu` keeps the course's schedule shape (final_tokens after a third of pretraining, 200 of 650 epochs, so
 * the cosine comes back up as in the course, see schedule.ts). `smoke` decays once over its few epochs,
 * drops dropout and finetunes at a 10x higher rate than the course, or its few steps would not teach the
 * answer format. Its epochs suit the synthetic world (30 epochs: about 15 seconds there with two threads, and
 * enough that the finetuned model answers with the world's place names); the real corpus takes far longer.
 */
import { GPTConfig, Variant, validateConfig } from './config';

export type ScaleName = 'smoke' | 'cpu' | 'full';
export const SCALE_NAMES: readonly ScaleName[] = ['smoke', 'cpu', 'full'];

export interface ScalePreset {
  name: ScaleName | 'custom';
  description: string;
  model: Omit<GPTConfig, 'vocabSize' | 'variant'>;
  pretrain: { epochs: number; batchSize: number; learningRate: number };
  finetune: { epochsFromScratch: number; epochsFromPretrained: number; batchSize: number; learningRate: number };
  warmupTokens: number;
  /** final_tokens = finalTokensEpochs * len(pretrain_dataset) * block_size (the course: 200). */
  finalTokensEpochs: number;
}

const COURSE_MODEL = { blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256, dropout: 0.1 };

export const SCALES: Readonly<Record<ScaleName, ScalePreset>> = {
  full: {
    name: 'full',
    description: "the course's hyperparameters exactly (days on a CPU, hours on a GPU)",
    model: COURSE_MODEL,
    pretrain: { epochs: 650, batchSize: 128, learningRate: 6e-3 },
    finetune: { epochsFromScratch: 75, epochsFromPretrained: 10, batchSize: 256, learningRate: 6e-4 },
    warmupTokens: 512 * 20,
    finalTokensEpochs: 200,
  },
  cpu: {
    name: 'cpu',
    description: 'a 4-layer 128-wide model, 30 pretraining epochs: an hour or two on a laptop CPU (synthetic world: minutes)',
    model: { blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0.1 },
    pretrain: { epochs: 30, batchSize: 64, learningRate: 6e-3 },
    finetune: { epochsFromScratch: 30, epochsFromPretrained: 6, batchSize: 128, learningRate: 6e-4 },
    warmupTokens: 512 * 20,
    finalTokensEpochs: 10,
  },
  smoke: {
    name: 'smoke',
    // A 72-character window: the longest real question + answer (70 with its two MASKs) still fits.
    // No dropout and small batches: with so few steps, every update has to count.
    description: 'a 2-layer 64-wide model, 72-character window, no dropout, a few epochs: minutes on the synthetic world',
    model: { blockSize: 72, nLayer: 2, nHead: 4, nEmbd: 64, dropout: 0 },
    pretrain: { epochs: 30, batchSize: 16, learningRate: 6e-3 },
    finetune: { epochsFromScratch: 30, epochsFromPretrained: 20, batchSize: 16, learningRate: 6e-3 },
    warmupTokens: 512 * 4,
    finalTokensEpochs: 10,
  },
};

/** The preset of a name, with an error listing the valid ones. */
export function scalePreset(name: string): ScalePreset {
  if ((SCALE_NAMES as readonly string[]).includes(name)) return SCALES[name as ScaleName];
  throw new Error(`unknown scale "${name}": use one of ${SCALE_NAMES.join(', ')}`);
}

/** The model a preset builds for a vocabulary and variant. */
export function presetModelConfig(preset: ScalePreset, vocabSize: number, variant: Variant): GPTConfig {
  const config: GPTConfig = { vocabSize, variant, ...preset.model };
  validateConfig(config);
  return config;
}

/** Explicit sizes that replace a preset's (the CLI's --epochs, --batch-size, --n-layer ...). */
export interface PresetOverrides {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  blockSize?: number;
  nLayer?: number;
  nHead?: number;
  nEmbd?: number;
  dropout?: number;
  /** final_tokens in epochs of the pretraining corpus (the course's unit; --decay-epochs). */
  decayEpochs?: number;
}

/**
 * A preset with some sizes replaced; `epochs`, `batchSize` and `learningRate` apply to the stage being run
 * (pretraining, or finetuning in both of its starting points). The name becomes "custom" if anything changed.
 */
export function withOverrides(p: ScalePreset, o: PresetOverrides, stage: 'pretrain' | 'finetune'): ScalePreset {
  const changed = Object.values(o).some((v) => v !== undefined);
  if (!changed) return p;
  const model = {
    blockSize: o.blockSize ?? p.model.blockSize, nLayer: o.nLayer ?? p.model.nLayer, nHead: o.nHead ?? p.model.nHead,
    nEmbd: o.nEmbd ?? p.model.nEmbd, dropout: o.dropout ?? p.model.dropout,
  };
  const pretrain = { ...p.pretrain };
  const finetune = { ...p.finetune };
  if (stage === 'pretrain') {
    pretrain.epochs = o.epochs ?? pretrain.epochs;
    pretrain.batchSize = o.batchSize ?? pretrain.batchSize;
    pretrain.learningRate = o.learningRate ?? pretrain.learningRate;
  } else {
    finetune.epochsFromScratch = o.epochs ?? finetune.epochsFromScratch;
    finetune.epochsFromPretrained = o.epochs ?? finetune.epochsFromPretrained;
    finetune.batchSize = o.batchSize ?? finetune.batchSize;
    finetune.learningRate = o.learningRate ?? finetune.learningRate;
  }
  const finalTokensEpochs = o.decayEpochs ?? p.finalTokensEpochs;
  return { ...p, name: 'custom', description: `${p.name} with ${JSON.stringify(o)}`, model, pretrain, finetune, finalTokensEpochs };
}
