/**
 * Scale presets: the same experiments at the size a machine allows.
 *
 * - `full`: exactly the course, as its starter code with the RoPE variant sets it (model 4 layers x 8 heads x
 *   256 wide, block 128; pretraining 650 epochs, batch 128, lr 6e-3, final_tokens = 650 * len(pretrain_dataset)
 *   * block_size, so one cosine over the whole pretraining; finetuning 75 epochs from scratch or 10 from
 *   pretrained weights, batch 256, lr 6e-4, final_tokens = 200 * len(pretrain_dataset) * block_size; warm-up
 *   512 * 20 tokens; and the course's trainer.py: examples in file order, not shuffled, and weight decay on
 *   every parameter whose name lacks "bias"). Days on a CPU.
 * - `cpu`: a smaller model and fewer epochs, an hour or two on a laptop CPU (see the measurements in
 *   the CLI's `--help`), enough for the pretraining-helps effect to show on the synthetic world.
 * - `smoke`: seconds to a couple of minutes; checks that everything runs and learns (tests, CI).
 *
 * Earlier years of the course (before RoPE) pretrained with final_tokens at 200 of the 650 epochs, so the
 * cosine came back up twice (schedule.ts); `cpu` keeps that shape (decay at 10 of 30 epochs) and minGPT's
 * trainer (shuffled examples, decay on Linear weights only), as does `smoke` and the records made before this
 * correction (their `trainer` field says which). `smoke` is sized for the synthetic world of notebooks 5 to 7
 * (DEFAULT_WORLD_OPTIONS): 300 pretraining epochs (9,300 steps) under one cosine (a rate that came back up would
 * shake loose what the model had just stored; the model recalls nothing for the first ~2,500 steps), no dropout, and finetuning at 2e-3: from random weights 60 epochs, enough
 * to learn the answer format and the training people by heart; from pretrained weights 10 epochs, as the
 * course, at a rate low enough to keep what pretraining stored. The real corpus takes far longer.
 */
import { GPTConfig, Variant, validateConfig } from './config';
import type { WeightDecayRule } from './trainer';

export type ScaleName = 'smoke' | 'cpu' | 'full';
export const SCALE_NAMES: readonly ScaleName[] = ['smoke', 'cpu', 'full'];

export interface ScalePreset {
  name: ScaleName | 'custom';
  description: string;
  model: Omit<GPTConfig, 'vocabSize' | 'variant'>;
  /** decayEpochs: pretraining's final_tokens = decayEpochs * len(pretrain_dataset) * block_size (the course: 650). */
  pretrain: { epochs: number; batchSize: number; learningRate: number; decayEpochs: number };
  finetune: { epochsFromScratch: number; epochsFromPretrained: number; batchSize: number; learningRate: number };
  warmupTokens: number;
  /** Finetuning's final_tokens = finalTokensEpochs * len(pretrain_dataset) * block_size (the course: 200). */
  finalTokensEpochs: number;
  /**
   * The trainer's habits: the course's trainer.py (in order, decay by name) or minGPT's (shuffled, Linear
   * weights); and, where the preset sets it, rows per forward/backward pass (else DEFAULT_MICRO_BATCH).
   */
  trainer: { shuffle: boolean; weightDecayOn: WeightDecayRule; microBatchSize?: number };
}

/** The course's trainer.py: a DataLoader without shuffle, and its name-based weight-decay rule. */
export const COURSE_TRAINER = { shuffle: false, weightDecayOn: 'course-names' as WeightDecayRule };
/** Karpathy's minGPT trainer: shuffled examples, decay on the Linear weights only. */
export const MINGPT_TRAINER = { shuffle: true, weightDecayOn: 'matmul-weights' as WeightDecayRule };

const COURSE_MODEL = { blockSize: 128, nLayer: 4, nHead: 8, nEmbd: 256, dropout: 0.1 };

export const SCALES: Readonly<Record<ScaleName, ScalePreset>> = {
  full: {
    name: 'full',
    description: "the course's hyperparameters exactly (days on a CPU, hours on a GPU)",
    model: COURSE_MODEL,
    pretrain: { epochs: 650, batchSize: 128, learningRate: 6e-3, decayEpochs: 650 },
    finetune: { epochsFromScratch: 75, epochsFromPretrained: 10, batchSize: 256, learningRate: 6e-4 },
    warmupTokens: 512 * 20,
    finalTokensEpochs: 200,
    trainer: COURSE_TRAINER,
  },
  cpu: {
    name: 'cpu',
    description: 'a 4-layer 128-wide model, 30 pretraining epochs: an hour or two on a laptop CPU (synthetic world: minutes)',
    model: { blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0.1 },
    pretrain: { epochs: 30, batchSize: 64, learningRate: 6e-3, decayEpochs: 10 },
    finetune: { epochsFromScratch: 30, epochsFromPretrained: 6, batchSize: 128, learningRate: 6e-4 },
    warmupTokens: 512 * 20,
    finalTokensEpochs: 10,
    trainer: MINGPT_TRAINER,
  },
  smoke: {
    name: 'smoke',
    // A 72-character window: the longest real question + answer (70 with its two MASKs) still fits.
    // No dropout and small batches: with so few steps, every update has to count.
    description: 'a 2-layer 64-wide model, 72-character window, no dropout, a few epochs: minutes on the synthetic world',
    model: { blockSize: 72, nLayer: 2, nHead: 4, nEmbd: 64, dropout: 0 },
    // 300 epochs: notebook 7 pretrains both variants at once in under 3 minutes on 2 cores (160 s on an AMD
    // EPYC). Chosen on all five worlds of notebook 7's last section (seeds 0 to 4, 200 dev questions each),
    // right answers of 200, vanilla / RoPE: at 225 epochs, worlds 0 to 2, 20/27, 19/31, 21/27; at 300, all
    // five, 22/45, 28/40, 22/53, 18/47, 32/36. One world alone swings with the schedule by more than its
    // standard errors, so the choice looked at all of them.
    pretrain: { epochs: 300, batchSize: 16, learningRate: 6e-3, decayEpochs: 300 },
    finetune: { epochsFromScratch: 60, epochsFromPretrained: 10, batchSize: 16, learningRate: 2e-3 },
    warmupTokens: 512 * 4,
    finalTokensEpochs: 10,
    // Whole batches of 16 in one pass: at this size a batch fits memory with room to spare, and one pass
    // on one thread is faster than two micro-batches of 8 shared with a helper thread.
    trainer: { ...MINGPT_TRAINER, microBatchSize: 16 },
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
  /** final_tokens of both stages, in epochs of the pretraining corpus (the course's unit; --decay-epochs). */
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
  pretrain.decayEpochs = o.decayEpochs ?? pretrain.decayEpochs;
  const finalTokensEpochs = o.decayEpochs ?? p.finalTokensEpochs;
  return { ...p, name: 'custom', description: `${p.name} with ${JSON.stringify(o)}`, model, pretrain, finetune, finalTokensEpochs };
}
