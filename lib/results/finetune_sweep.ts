/**
 * Choosing the finetuning on held-out training pairs (scripts/results.sh sweep): each trial finetunes one
 * pretrained model on part of the training pairs (--finetune-corpus) with some settings and is evaluated on the
 * pairs held out (--eval-corpus); the best trial's settings are then finetuned on all the training pairs and
 * evaluated on the dev set once. The dev set never takes part in the choice.
 */
import type { RunRecord } from './record';
import { isDevScore, presetPartsOf, samePath, trainingChain } from './table';

export interface SweepTrial {
  /** The flags that differ from the preset (e.g. {epochs: 20, learningRate: 0.0003}); {} for the preset's own. */
  changes: Record<string, number>;
  /** The same as command-line flags, "--epochs 20 --learning-rate 0.0003". */
  flags: string;
  correct: number;
  total: number;
  accuracy: number;
  evaluation: RunRecord;
  finetune: RunRecord;
  /** The pretraining record of the model the trial started from (undefined when it is not among the records). */
  pretrain?: RunRecord;
}

/** Preset overrides as the flags that set them: {learningRate: 0.0003} -> "--learning-rate 0.0003". */
export function overrideFlags(changes: Readonly<Record<string, number>>): string {
  return Object.entries(changes).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${v}`).join(' ');
}

/**
 * The trials on held-out pairs among `records`: evaluations of an --eval-corpus file (`heldOut`, when given) by
 * models finetuned on an --finetune-corpus file (from the model in `from`, when given); oldest first.
 */
export function heldOutTrials(records: readonly RunRecord[], heldOut?: string, from?: string): SweepTrial[] {
  const out: SweepTrial[] = [];
  for (const evaluation of records) {
    const file = evaluation.files.evalCorpus;
    if (evaluation.verb !== 'evaluate' || file === undefined || evaluation.accuracy === undefined) continue;
    if (heldOut !== undefined && !samePath(file, heldOut)) continue;
    const { finetune, pretrain } = trainingChain(records, evaluation);
    if (!finetune?.files.finetuneCorpus || (from !== undefined && !samePath(finetune.files.readingParams, from))) continue;
    const { changes } = presetPartsOf(finetune);
    out.push({
      changes, flags: overrideFlags(changes), correct: evaluation.correct ?? 0, total: evaluation.total ?? 0,
      accuracy: evaluation.accuracy, evaluation, finetune, ...(pretrain ? { pretrain } : {}),
    });
  }
  return out;
}

/** The trial with the highest held-out accuracy; a tie goes to the earlier trial (list the preset's own first). */
export function bestTrial(trials: readonly SweepTrial[]): SweepTrial | undefined {
  return trials.reduce<SweepTrial | undefined>((best, t) => (!best || t.accuracy > best.accuracy ? t : best), undefined);
}

/** The chosen settings on the dev set, beside the preset's own finetuning of the same pretrained model. */
export interface SweepOutcome {
  best: SweepTrial;
  /** Dev evaluation of the pretrained model finetuned on all the training pairs with the best trial's settings. */
  chosen?: RunRecord;
  /** Dev evaluation of the same pretrained model finetuned with the preset's own settings. */
  preset?: RunRecord;
}

/**
 * Where the best of `trials` stands on the dev set: the latest dev evaluations (no --eval-corpus) of models
 * finetuned on the corpus's own training pairs from the model the trials started from, one with the best
 * trial's settings and one with the preset's own. Undefined without trials.
 */
export function sweepOutcome(records: readonly RunRecord[], trials: readonly SweepTrial[]): SweepOutcome | undefined {
  const best = bestTrial(trials);
  if (!best) return undefined;
  const start = best.finetune.files.readingParams;
  const { base } = presetPartsOf(best.finetune);
  let chosen: RunRecord | undefined;
  let preset: RunRecord | undefined;
  for (const r of records) {
    if (r.verb !== 'evaluate' || r.accuracy === undefined || start === undefined) continue;
    const { finetune, pretrain } = trainingChain(records, r);
    // A dev score, finetuned from the model the trials read (not a later run's same file).
    if (!finetune || !isDevScore(r, finetune) || !samePath(finetune.files.readingParams, start) || pretrain !== best.pretrain) continue;
    const parts = presetPartsOf(finetune);
    if (parts.base === base && overrideFlags(parts.changes) === best.flags) chosen = r;
    if (finetune.scale === base) preset = r;
  }
  return { best, ...(chosen ? { chosen } : {}), ...(preset ? { preset } : {}) };
}
