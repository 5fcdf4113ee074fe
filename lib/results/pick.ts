/**
 * Picking from the records what notebook 8 shows: the results table (one run per row), accuracy against
 * pretraining compute, what pretrained models recall against what their finetuned models answer, and how far
 * a model's answers beat its own favourite answers dealt at random. Each function returns finished rows or
 * points; format.ts turns them into tables, figures and sentences.
 */
import type { RunRecord, TableRow } from './record';
import type { Results } from './load';
import type { QA } from '../data/tsv';
import { SCALES } from '../mingpt/presets';
import { answerProfile, chanceOfDoingAsWell } from '../eval/answers';
import { storedAndRetrieved } from '../eval/recall';
import { Score, scoreOf } from '../eval/score';

export const TABLE_ROWS: readonly TableRow[] = ['london', 'vanilla-nopretrain', 'vanilla-pretrain', 'rope-pretrain'];

export const ROW_LABELS: Readonly<Record<TableRow, string>> = {
  london: 'Baseline ("London")',
  'vanilla-nopretrain': 'Vanilla (no pretraining)',
  'vanilla-pretrain': 'Vanilla (pretraining)',
  'rope-pretrain': 'RoPE (pretraining)',
};

/** Dev accuracy the course reports for each row (its full schedule, on a GPU), as a fraction. */
export const COURSE_ACCURACY: Readonly<Record<TableRow, number>> = {
  london: 0.05,
  'vanilla-nopretrain': 0.014,
  'vanilla-pretrain': 0.232,
  'rope-pretrain': 0.386,
};

/** The dev accuracy the course's later years require to pass: vanilla above 15%, RoPE above 30%. */
export const COURSE_PASS: Readonly<Partial<Record<TableRow, number>>> = { 'vanilla-pretrain': 0.15, 'rope-pretrain': 0.3 };

export type CorpusName = 'real' | 'synthetic';

/** The score of an evaluation record, with its standard error (lib/eval/score.ts); no count reads as 0 of 0. */
export function recordScore(r: Pick<RunRecord, 'correct' | 'total'>): Score {
  return scoreOf(r.correct ?? 0, r.total ?? 0);
}

/** Pretraining settings the course's recipe may change and stay itself: its length, and the decay fitted to it. */
const RECIPE_LENGTH = ['epochs', 'decayEpochs'];

/** Whether a training record ran the course's recipe (the `full` preset; pretraining may be cut or fitted shorter). */
export function isCourseRecipe(r: RunRecord): boolean {
  if (r.preset?.base !== 'full') return false;
  const changed = Object.keys(r.preset.overrides);
  return r.verb === 'pretrain' ? changed.every((k) => RECIPE_LENGTH.includes(k)) : changed.length === 0;
}

/** Whether an evaluation is a dev score: of the dev set (no --eval-corpus), by a model finetuned on the training pairs. */
export function isDevScore(results: Results, evaluation: RunRecord): boolean {
  return evaluation.files.evalCorpus === undefined && results.chainOf(evaluation).finetune?.files.finetuneCorpus === undefined;
}

/** One row of the table: the evaluation picked for it and the runs behind it. */
export interface TableEntry {
  row: TableRow;
  label: string;
  score: Score;
  evaluation: RunRecord;
  finetune?: RunRecord;
  pretrain?: RunRecord;
  /** Whether pretraining and finetuning are the course's recipe. */
  courseRecipe: boolean;
  /** Set when the pretraining behind the row stopped early: a snapshot after `epoch` of its run's `ofEpochs`. */
  incomplete?: { epoch: number; ofEpochs: number };
}

/** The epochs a training record ran (its curve's last epoch). */
export function epochsOf(r: RunRecord | undefined): number | undefined {
  return r?.curve?.[r.curve.length - 1]?.epoch;
}

function entryOf(results: Results, evaluation: RunRecord): TableEntry {
  const { finetune, pretrain } = results.chainOf(evaluation);
  const courseRecipe = [pretrain, finetune].every((x) => !x || isCourseRecipe(x));
  const snapshot = pretrain?.snapshot;
  return {
    row: evaluation.row!, label: ROW_LABELS[evaluation.row!], score: recordScore(evaluation), evaluation,
    ...(finetune ? { finetune } : {}), ...(pretrain ? { pretrain } : {}), courseRecipe,
    ...(snapshot ? { incomplete: { epoch: snapshot.epoch, ofEpochs: snapshot.ofEpochs } } : {}),
  };
}

/**
 * The table of one corpus, in the course's order: for each row, among its dev scores, a run of the course's recipe
 * when the row has one, then the one whose model saw the most pretraining, then the latest.
 */
export function tableOf(results: Results, corpus: CorpusName): TableEntry[] {
  const chosen = new Map<TableRow, TableEntry>();
  const tokens = (e: TableEntry): number => e.pretrain?.tokens ?? 0;
  for (const r of results.records) {
    if (!r.row || r.corpus !== corpus || r.accuracy === undefined || (r.verb !== 'evaluate' && r.verb !== 'london')) continue;
    if (!isDevScore(results, r)) continue;
    const e = entryOf(results, r);
    const seen = chosen.get(r.row);
    const better = !seen || (e.courseRecipe !== seen.courseRecipe ? e.courseRecipe : tokens(e) >= tokens(seen));
    if (better) chosen.set(r.row, e);
  }
  return TABLE_ROWS.filter((row) => chosen.has(row)).map((row) => chosen.get(row)!);
}

/** One pretrained model, finetuned and scored on dev: a point of accuracy against pretraining compute. */
export interface ComputePoint {
  row: TableRow;
  tokens: number;
  epochs?: number;
  score: Score;
  evaluation: RunRecord;
  pretrain: RunRecord;
}

/** A set of points drawn as one series: one run of the course's recipe (its snapshots and end), or every other run. */
export interface ComputeSeries {
  row: TableRow;
  /** The run's id for a run of the course's recipe over its whole length; undefined for the other runs. */
  run?: string;
  points: ComputePoint[];
}

/** Finetuning settings that make a finetuning of the `full` preset another than the course's (a tuned one). */
const FINETUNE_CHOICES = ['epochs', 'learningRate', 'batchSize'];

/**
 * Every pretrained model of a corpus, finetuned as its preset finetunes and scored on dev, as series: per row, the
 * longest run of the course's whole recipe (its snapshots and its end) and every other run; sorted by tokens.
 */
export function computeSeries(results: Results, corpus: CorpusName): ComputeSeries[] {
  const points: ComputePoint[] = [];
  for (const r of results.records) {
    if (r.verb !== 'evaluate' || r.corpus !== corpus || (r.row !== 'vanilla-pretrain' && r.row !== 'rope-pretrain')) continue;
    const { finetune, pretrain } = results.chainOf(r);
    if (!pretrain || !finetune || pretrain.tokens === undefined || !isDevScore(results, r)) continue;
    if (finetune.preset?.base === 'full' && FINETUNE_CHOICES.some((k) => k in finetune.preset!.overrides)) continue;
    points.push({ row: r.row, tokens: pretrain.tokens, epochs: epochsOf(pretrain), score: recordScore(r), evaluation: r, pretrain });
  }
  const out: ComputeSeries[] = [];
  for (const row of TABLE_ROWS) {
    const mine = points.filter((p) => p.row === row).sort((a, b) => a.tokens - b.tokens || a.evaluation.startedAt.localeCompare(b.evaluation.startedAt));
    // The course's whole recipe, unchanged: of its runs, the one that got furthest (the latest of equals).
    const whole = mine.filter((p) => isCourseRecipe(p.pretrain) && Object.keys(p.pretrain.preset!.overrides).length === 0 && p.pretrain.run);
    const run = whole.reduce<ComputePoint | undefined>((best, p) => (!best || p.tokens >= best.tokens ? p : best), undefined)?.pretrain.run;
    const ofRun = mine.filter((p) => run !== undefined && p.pretrain.run === run);
    // A snapshot finetuned and evaluated twice is one point of the run: its latest evaluation, the last of its
    // epoch in `mine`'s order (by tokens, then by when the evaluation started).
    const epochKey = (p: ComputePoint): string => (p.epochs !== undefined ? `epoch ${p.epochs}` : `tokens ${p.tokens}`);
    const inRun = [...new Map(ofRun.map((p) => [epochKey(p), p])).values()];
    if (inRun.length > 0) out.push({ row, run, points: inRun });
    const others = mine.filter((p) => !ofRun.includes(p));
    if (others.length > 0) out.push({ row, points: others });
  }
  return out;
}

/** The pretraining tokens of the course's whole schedule, from a run of its recipe: epochs x the tokens of one epoch. */
export function courseTokens(results: Results, corpus: CorpusName): number | undefined {
  const run = results.records.find((r) => r.verb === 'pretrain' && r.corpus === corpus && r.preset?.base === 'full' && r.curve?.length);
  const first = run?.curve?.[0];
  return first && first.epoch === 1 ? first.tokens * SCALES.full.pretrain.epochs : undefined;
}

/** At one epoch of a run of the course's recipe: what the pretrained model recalls and what its finetuned model answers. */
export interface RecallPoint {
  row: TableRow;
  epoch: number;
  probed: number;
  recalled: number;
  /** Of the probed people, those the finetuned model answers right; of those it recalled, those it answers right. */
  answered: number;
  recalledAnswered: number;
  probe: RunRecord;
  evaluation: RunRecord;
}

/** The recall probes of each course-recipe run's checkpoints crossed with the dev answers of their finetuned models. */
export function recallPoints(results: Results, corpus: CorpusName): RecallPoint[] {
  const out: RecallPoint[] = [];
  for (const s of computeSeries(results, corpus).filter((x) => x.run)) {
    for (const p of s.points) {
      const probe = results.childrenOf(p.pretrain).filter((x) => x.verb === 'recall' && x.recall).pop();
      const predictions = results.predictionsOf(p.evaluation);
      if (!probe?.recall || !predictions || p.epochs === undefined) continue;
      const { continuations } = probe.recall;
      // The probe names each probed person's answer: the dev set's answers for them, by position.
      const dev = predictions.map((_, i) => ({ answer: continuations.find((c) => c.dev === i)?.answer ?? '' }));
      const x = storedAndRetrieved(continuations, predictions, dev);
      out.push({
        row: s.row, epoch: p.epochs, probed: continuations.length, recalled: x.recalled, answered: x.recalledAnswered + x.missedAnswered,
        recalledAnswered: x.recalledAnswered, probe, evaluation: p.evaluation,
      });
    }
  }
  return out;
}

/** A model's right answers against its own answers dealt to the questions at random. */
export interface GuessProfile {
  entry: TableEntry;
  correct: number;
  byChance: number;
  /** How often a random deal of the same answers does at least as well (2,000 deals, seed 0). */
  p: number;
  distinct: number;
  top: { answer: string; count: number }[];
}

/** The answer profile of each table row whose predictions are kept, scored against `pairs` (the dev set). */
export function guessProfiles(results: Results, corpus: CorpusName, pairs: readonly QA[]): GuessProfile[] {
  const out: GuessProfile[] = [];
  for (const entry of tableOf(results, corpus)) {
    const predictions = results.predictionsOf(entry.evaluation);
    if (!predictions || predictions.length !== pairs.length) continue;
    const profile = answerProfile(predictions, pairs as QA[]);
    out.push({
      entry, correct: profile.correct, byChance: profile.byChance, p: chanceOfDoingAsWell(predictions, pairs as QA[], { seed: 0 }),
      distinct: profile.distinct, top: profile.top.map(({ answer, count }) => ({ answer, count })),
    });
  }
  return out;
}
