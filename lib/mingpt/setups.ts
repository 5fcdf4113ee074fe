/**
 * What each training verb of the CLI builds: the dataset and the trainer's hyperparameters, as the course's
 * run.py does in its "pretrain" and "finetune" branches. These two functions are the student's part.
 *
 * Course values (the `full` preset): pretraining 650 epochs, batch 128, lr 6e-3, final_tokens =
 * 650 * len(pretrain_dataset) * block_size; finetuning 75 epochs from scratch or 10 from pretrained weights,
 * batch 256, lr 6e-4, final_tokens = 200 * len(pretrain_dataset) * block_size; both with lr decay and a
 * warm-up of 512 * 20 tokens. Finetuning, too, sizes its schedule by the *pretraining* dataset: with ~2,000
 * finetuning examples the cosine barely starts to decay. The preset's `trainer` habits (shuffling, which
 * weights decay) are the course's trainer.py for `full`, minGPT's for the smaller presets.
 */
import { MINGPT_TRAINER_DEFAULTS, TrainerConfig } from './trainer';
import { ScalePreset } from './presets';
import { CharCorruptionDataset } from '../data/char_corruption';
import { NameDataset } from '../data/name_dataset';
import { Vocab } from '../data/vocab';
import type { QA } from '../data/tsv';

/** The span-corruption dataset of the pretraining text, and the pretraining hyperparameters. */
export function pretrainingSetup(
  preset: ScalePreset, vocab: Vocab, pretrainText: string, seed: number,
): { dataset: CharCorruptionDataset; trainer: TrainerConfig } {
  // BEGIN SOLUTION pretraining
  const blockSize = preset.model.blockSize;
  const dataset = new CharCorruptionDataset(vocab, pretrainText, blockSize);
  const trainer: TrainerConfig = {
    ...MINGPT_TRAINER_DEFAULTS,
    maxEpochs: preset.pretrain.epochs,
    batchSize: preset.pretrain.batchSize,
    learningRate: preset.pretrain.learningRate,
    decay: true,
    warmupTokens: preset.warmupTokens,
    finalTokens: preset.pretrain.decayEpochs * dataset.length * blockSize,
    ...preset.trainer,
    seed,
  };
  return { dataset, trainer };
  // END SOLUTION
}

/**
 * The question/answer dataset and the finetuning hyperparameters; `fromPretrained` says whether the model
 * starts from pretrained weights (fewer epochs). `pretrainDatasetLength` sizes the schedule, as in the course.
 */
export function finetuningSetup(
  preset: ScalePreset, vocab: Vocab, pairs: readonly QA[], pretrainDatasetLength: number, fromPretrained: boolean, seed: number,
): { dataset: NameDataset; trainer: TrainerConfig } {
  // BEGIN SOLUTION finetuning
  const blockSize = preset.model.blockSize;
  const dataset = new NameDataset(vocab, pairs, blockSize);
  const trainer: TrainerConfig = {
    ...MINGPT_TRAINER_DEFAULTS,
    maxEpochs: fromPretrained ? preset.finetune.epochsFromPretrained : preset.finetune.epochsFromScratch,
    batchSize: preset.finetune.batchSize,
    learningRate: preset.finetune.learningRate,
    decay: true,
    warmupTokens: preset.warmupTokens,
    finalTokens: preset.finalTokensEpochs * pretrainDatasetLength * blockSize,
    ...preset.trainer,
    seed,
  };
  return { dataset, trainer };
  // END SOLUTION
}
