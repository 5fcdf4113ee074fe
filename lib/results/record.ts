/**
 * Run records: one JSON file per run (format `mingpt-run/2`, described in results/README.md), so that notebooks
 * tabulate and plot what was actually run, never numbers typed by hand. A record says what ran (verb, variant,
 * preset, seed, corpus, configs), where (backend, commit), how long, what came out (loss per epoch, tokens,
 * accuracy), and which run made the model it read: every run has an `id`, its checkpoints carry that id in their
 * metadata, and a run that reads a checkpoint names it as its `parent`.
 *
 * Records go to a results folder: the CLI's default is the git-ignored `runs/` (or $MINGPT_RUNS_DIR); the curated
 * records that notebook 8 reads are written to `results/<corpus>/` by scripts/results.sh, or copied there from
 * `runs/` by scripts/promote.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { writeFileExclusive } from '../util/atomic';
import type { CurvePoint, TrainerConfig } from '../mingpt/trainer';
import type { GPTConfig, Variant } from '../mingpt/config';

/** The rows of the course's results table. */
export type TableRow = 'london' | 'vanilla-nopretrain' | 'vanilla-pretrain' | 'rope-pretrain';
/** What the `mingpt` CLI does. */
export type Verb = 'pretrain' | 'finetune' | 'evaluate' | 'london';
/** What a record can be: a CLI run, or a recall probe of a pretrained checkpoint (scripts/recall_probe.ts). */
export type RecordVerb = Verb | 'recall';

export const RECORD_FORMAT = 'mingpt-run/2';

/** A preset as data: its name and the settings that replaced the preset's (the CLI's --epochs, --learning-rate ...). */
export interface PresetChoice {
  base: string;
  overrides: Record<string, number | string | boolean>;
}

/** One epoch of a training run: tokens counted at its end, its mean loss, and the learning rate of its last step. */
export interface EpochPoint {
  epoch: number;
  tokens: number;
  loss: number;
  lr: number;
}

/** A recall probe's details: the window it asked within, who was probed, and each continuation. */
export interface RecallDetail {
  window: number;
  devQuestions: number;
  /** Dev people without a line that spells their answer, and people whose answer lies beyond the window. */
  notInText: number;
  outsideWindow: number;
  continuations: { dev: number; answer: string; continuation: string }[];
}

export interface RunRecord {
  format: typeof RECORD_FORMAT;
  /** Unique, and the record's file name without `.json`: start time, verb, variant, preset, seed (see runId). */
  id: string;
  verb: RecordVerb;
  /** The id of the run that wrote the checkpoint this run read (finetuning from pretrained weights, evaluate, recall). */
  parent?: string;
  /** Training: the id of the whole run, shared by its snapshots and its final record (which has it as its id). */
  run?: string;
  /** The table row an evaluation (or london) scores, or a finetuning trains for. */
  row?: TableRow;
  variant?: Variant;
  corpus: 'real' | 'synthetic' | 'files';
  /** Training: the preset and the flags that changed it. */
  preset?: PresetChoice;
  seed: number;
  backend: string;
  /** git commit of the code, or null outside a git checkout. */
  commit: string | null;
  /** When this session of the run started (a resumed training run's last session). */
  startedAt: string;
  /** Seconds the run took; for training, the training time of every session it was resumed in. */
  wallSeconds: number;
  model?: GPTConfig;
  trainer?: TrainerConfig;
  /** Training: whether the run finished all its epochs (false for a snapshot). */
  completed?: boolean;
  /** A model written part-way through a longer run (--snapshot-epochs): after `epoch` of its `ofEpochs` epochs. */
  snapshot?: { epoch: number; ofEpochs: number };
  steps?: number;
  tokens?: number;
  /** The loss of the last step. */
  finalLoss?: number;
  curve?: EpochPoint[];
  accuracy?: number;
  correct?: number;
  total?: number;
  recall?: RecallDetail;
  /** Files the run read and wrote, relative to the project (absolute only for files outside it). */
  files: Record<string, string>;
  /** Free-form facts worth keeping (e.g. the synthetic world's options, the threads). */
  notes?: Record<string, string | number | boolean>;
}

/** The project folder (the one with package.json): paths in records are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** A path as records keep it: relative to the project when inside it, else absolute. */
export function projectPath(file: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel.split(path.sep).join('/');
}

/** A path from a record, for this machine. */
export function resolveProjectPath(file: string): string {
  return path.resolve(PROJECT_ROOT, file);
}

/** Each absolute path in a text (a corpus description) replaced by what `replace` makes of it. */
export function replaceAbsolutePaths(text: string, replace: (absolute: string) => string): string {
  return text.replace(/(?<![\w.~-])\/(?:[\w.+-]+\/)*[\w.+-]+/g, replace);
}

/** Absolute paths in a text made relative to the project, or cut to their last part outside it. */
export function withoutMachinePaths(text: string): string {
  return replaceAbsolutePaths(text, (p) => {
    const rel = projectPath(p);
    return path.isAbsolute(rel) ? path.basename(p) : rel;
  });
}

/** The folder ad-hoc runs write their records to: $MINGPT_RUNS_DIR, else `runs` (git-ignored). */
export function defaultRunsDir(): string {
  return process.env.MINGPT_RUNS_DIR || 'runs';
}

/**
 * A record's id: `<start, UTC to the millisecond>-<verb>[-<variant>][-<preset>]-seed<seed>[-e<epoch>]`, e.g.
 * `20261127T084111.841Z-pretrain-vanilla-full-seed0-e100`. A training run's id comes from its first session's
 * start, so every session of the run, and the checkpoints it writes, agree on it.
 */
export function runId(o: { startedAt: string; verb: RecordVerb; variant?: string; preset?: string; seed?: number; epoch?: number }): string {
  const parts = [idStamp(o.startedAt), o.verb, o.variant, o.preset, o.seed === undefined ? undefined : `seed${o.seed}`, o.epoch === undefined ? undefined : `e${o.epoch}`];
  return parts.filter((p) => p !== undefined).join('-');
}

/** The start as an id begins with it: `2026-11-27T08:41:11.841Z` -> `20261127T084111.841Z`. */
const idStamp = (startedAt: string): string => startedAt.replace(/[-:]/g, '');

/** A significant-digits rounding that keeps records readable (a float32 loss has about 7). */
const round = (x: number, digits = 6): number => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);

/** A trainer's step curve as records keep it: one point per epoch (mean loss, tokens and rate at the epoch's end). */
export function perEpoch(curve: readonly CurvePoint[]): EpochPoint[] {
  const out: EpochPoint[] = [];
  let sum = 0;
  let n = 0;
  curve.forEach((p, i) => {
    sum += p.loss;
    n++;
    if (i + 1 < curve.length && curve[i + 1].epoch === p.epoch) return;
    out.push({ epoch: p.epoch, tokens: p.tokens, loss: round(sum / n), lr: round(p.lr) });
    sum = 0;
    n = 0;
  });
  return out;
}

/** The current commit, or null when git or the repository is unavailable. */
export function currentCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** Where the record of `id` is (or would be) in `dir`. */
export function recordFile(dir: string, id: string): string {
  return path.join(dir, `${id}.json`);
}

/** Where an evaluation's predictions are kept beside its record: `<dir>/predictions/<id>.txt`. */
export function predictionsFile(dir: string, id: string): string {
  return path.join(dir, 'predictions', `${id}.txt`);
}

/** The order of a record's fields in its file: what and whose first, then how, then what came out. */
const FIELD_ORDER: readonly (keyof RunRecord)[] = [
  'format', 'id', 'verb', 'parent', 'run', 'row', 'variant', 'corpus', 'preset', 'seed', 'backend', 'commit', 'startedAt', 'wallSeconds',
  'model', 'trainer', 'completed', 'snapshot', 'steps', 'tokens', 'finalLoss', 'accuracy', 'correct', 'total', 'files', 'notes', 'curve', 'recall',
];

const isFlat = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x !== 'object' || x === null);

/** JSON indented by one space, a list of flat objects (a curve's epochs, a probe's continuations) one line per item. */
function stringify(value: unknown, indent = ''): string {
  if (Array.isArray(value) && value.length > 0 && value.every(isFlat)) {
    return `[\n${value.map((v) => `${indent} ${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !isFlat(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{\n${entries.map(([k, v]) => `${indent} ${JSON.stringify(k)}: ${stringify(v, indent + ' ')}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A record as its file holds it: fields in order, paths relative to the project, no absolute path in the notes. */
export function formatRecord(record: RunRecord): string {
  const files = Object.fromEntries(Object.entries(record.files).map(([k, v]) => [k, projectPath(v)]));
  const notes = record.notes && Object.fromEntries(Object.entries(record.notes).map(([k, v]) => [k, typeof v === 'string' ? withoutMachinePaths(v) : v]));
  const full: Record<string, unknown> = { ...record, files, notes };
  const ordered = Object.fromEntries([...FIELD_ORDER, ...Object.keys(full).filter((k) => !FIELD_ORDER.includes(k as keyof RunRecord))]
    .filter((k) => full[k] !== undefined).map((k) => [k, full[k]]));
  return stringify(ordered) + '\n';
}

/** Writes the record atomically as `<dir>/<id>.json` (formatRecord); returns the file. Refuses to replace another record. */
export function writeRunRecord(dir: string, record: RunRecord): string {
  const file = recordFile(dir, record.id);
  if (!writeFileExclusive(file, formatRecord(record))) throw new Error(`writeRunRecord: ${file} exists already (record ids are unique)`);
  return file;
}

/**
 * Writes the record of a run that nothing refers to yet (an evaluation, the London baseline) under a free id, and
 * returns the file and the record as written. Ids are stamped to the millisecond, so two such runs started at once
 * (two evaluations side by side) can meet on one; the one that writes second moves its start, and the stamp its id
 * begins with, on by a millisecond until an id is free. Each try is an exclusive create: no record is replaced.
 */
export function writeNewRunRecord(dir: string, record: RunRecord): { file: string; record: RunRecord } {
  const start = Date.parse(record.startedAt);
  if (!Number.isFinite(start)) throw new Error(`writeNewRunRecord: startedAt ${JSON.stringify(record.startedAt)} is not a time`);
  const stamp = idStamp(record.startedAt);
  if (!record.id.startsWith(stamp)) throw new Error(`writeNewRunRecord: id ${record.id} does not begin with its start, ${stamp}`);
  const rest = record.id.slice(stamp.length);
  for (let ms = 0; ms < 1000; ms++) {
    const startedAt = new Date(start + ms).toISOString();
    const moved: RunRecord = { ...record, id: idStamp(startedAt) + rest, startedAt };
    const file = recordFile(dir, moved.id);
    if (writeFileExclusive(file, formatRecord(moved))) return { file, record: moved };
  }
  throw new Error(`writeNewRunRecord: no free id in ${dir} within a second of ${record.startedAt}`);
}

/** Every record in `dir` (not its subfolders), oldest first; files of another format are skipped. */
export function readRunRecords(dir: string): RunRecord[] {
  if (!fs.existsSync(dir)) return [];
  const out: RunRecord[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    let r: RunRecord;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
    } catch {
      continue; // not JSON (a half-written file of another tool)
    }
    if (r.format !== RECORD_FORMAT) continue;
    if (`${r.id}.json` !== name) throw new Error(`${file}: the record's id is "${r.id}", its file name should be ${r.id}.json`);
    out.push(r);
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
