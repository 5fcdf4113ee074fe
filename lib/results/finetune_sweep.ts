/**
 * Choosing the finetuning on held-out training pairs (scripts/results.sh sweep): each trial finetunes one
 * pretrained model on part of the training pairs (--finetune-corpus) with some settings and is evaluated on the
 * pairs held out (--eval-corpus); the best trial's settings are then finetuned on all the training pairs and
 * evaluated on the dev set once. The dev set never takes part in the choice.
 */
import type { RunRecord } from './record';
import { projectPath } from './record';
import type { Results } from './load';
import { isDevScore } from './pick';
import { SCALES } from '../mingpt/presets';

export interface SweepTrial {
  /** The flags that differ from the preset (e.g. {epochs: 20, learningRate: 0.0003}); {} for the preset's own. */
  changes: Record<string, number | string | boolean>;
  /** The same as command-line flags, "--epochs 20 --learning-rate 0.0003". */
  flags: string;
  correct: number;
  total: number;
  accuracy: number;
  evaluation: RunRecord;
  finetune: RunRecord;
  /** The id of the pretraining run the trial started from. */
  from?: string;
}

/** Preset overrides as the flags that set them: {learningRate: 0.0003} -> "--learning-rate 0.0003". */
export function overrideFlags(changes: Readonly<Record<string, number | string | boolean>>): string {
  return Object.entries(changes).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${v}`).join(' ');
}

/**
 * The trials on held-out pairs among the records: evaluations of an --eval-corpus file (`heldOut`, when given) by
 * models finetuned on an --finetune-corpus file (from the pretraining run `from`, when given); oldest first.
 */
export function heldOutTrials(results: Results, heldOut?: string, from?: string): SweepTrial[] {
  const out: SweepTrial[] = [];
  for (const evaluation of results.records) {
    const file = evaluation.files.evalCorpus;
    if (evaluation.verb !== 'evaluate' || file === undefined || evaluation.accuracy === undefined) continue;
    if (heldOut !== undefined && file !== projectPath(heldOut)) continue;
    const { finetune } = results.chainOf(evaluation);
    if (!finetune?.files.finetuneCorpus || (from !== undefined && finetune.parent !== from)) continue;
    const changes = finetune.preset?.overrides ?? {};
    out.push({
      changes, flags: overrideFlags(changes), correct: evaluation.correct ?? 0, total: evaluation.total ?? 0,
      accuracy: evaluation.accuracy, evaluation, finetune, ...(finetune.parent ? { from: finetune.parent } : {}),
    });
  }
  return out;
}

/** Whether a trial's settings are those of the `full` preset's own finetuning from pretrained weights (the course's). */
export function isCourseFinetune(t: SweepTrial): boolean {
  const course: Record<string, number> = { epochs: SCALES.full.finetune.epochsFromPretrained, learningRate: SCALES.full.finetune.learningRate, batchSize: SCALES.full.finetune.batchSize };
  return t.finetune.preset?.base === 'full' && Object.entries(t.changes).every(([k, v]) => course[k] === v);
}

/** The trial with the highest held-out accuracy; a tie goes to the earlier trial (list the preset's own first). */
export function bestTrial(trials: readonly SweepTrial[]): SweepTrial | undefined {
  return trials.reduce<SweepTrial | undefined>((best, t) => (!best || t.accuracy > best.accuracy ? t : best), undefined);
}

/** The chosen settings on the dev set, beside the preset's own finetuning of the same pretrained model. */
export interface SweepOutcome {
  best: SweepTrial;
  trials: SweepTrial[];
  /** Dev evaluation of the pretrained model finetuned on all the training pairs with the best trial's settings. */
  chosen?: RunRecord;
  /** Dev evaluation of the same pretrained model finetuned with the preset's own settings. */
  preset?: RunRecord;
}

/**
 * Where the best of `trials` stands on the dev set: the latest dev evaluations of models finetuned on the corpus's
 * own training pairs from the run the trials started from, one with the best trial's settings and one with the
 * preset's own. Undefined without trials.
 */
export function sweepOutcome(results: Results, trials: readonly SweepTrial[]): SweepOutcome | undefined {
  const best = bestTrial(trials);
  if (!best || best.from === undefined) return best && { best, trials: [...trials] };
  const base = best.finetune.preset?.base;
  let chosen: RunRecord | undefined;
  let preset: RunRecord | undefined;
  for (const r of results.records) {
    if (r.verb !== 'evaluate' || r.accuracy === undefined || !isDevScore(results, r)) continue;
    const { finetune } = results.chainOf(r);
    if (!finetune?.preset || finetune.parent !== best.from || finetune.preset.base !== base) continue;
    if (overrideFlags(finetune.preset.overrides) === best.flags) chosen = r;
    if (Object.keys(finetune.preset.overrides).length === 0) preset = r;
  }
  return { best, trials: [...trials], ...(chosen ? { chosen } : {}), ...(preset ? { preset } : {}) };
}

/** The sweeps among the records, one per pretrained run and held-out file, each with its outcome; oldest first. */
export function sweeps(results: Results): SweepOutcome[] {
  const groups = new Map<string, SweepTrial[]>();
  for (const t of heldOutTrials(results)) {
    const key = `${t.from} ${t.evaluation.files.evalCorpus}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map((trials) => sweepOutcome(results, trials)!);
}
