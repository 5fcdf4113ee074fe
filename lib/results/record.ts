/**
 * Run records: one JSON file per CLI run under `results/`, so that notebooks can tabulate and plot what was
 * actually run (never numbers typed by hand). A record says what ran (verb, variant, scale, seed, corpus,
 * configs), where (backend, commit), how long, and what came out (loss curve, tokens, accuracy).
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { writeFileAtomic } from '../util/atomic';
import type { CurvePoint, TrainerConfig } from '../mingpt/trainer';
import type { GPTConfig, Variant } from '../mingpt/config';

/** The rows of the course's results table. */
export type TableRow = 'london' | 'vanilla-nopretrain' | 'vanilla-pretrain' | 'rope-pretrain';
export type Verb = 'pretrain' | 'finetune' | 'evaluate' | 'london';

export interface RunRecord {
  format: 'mingpt-run/1';
  verb: Verb;
  /** Set when the run belongs to one of the table's rows: the finetuning and the evaluation of its model, or london. */
  row?: TableRow;
  variant?: Variant;
  corpus: 'real' | 'synthetic' | 'files';
  scale: string;
  seed: number;
  backend: string;
  /** git commit of the code, or null outside a git checkout. */
  commit: string | null;
  startedAt: string;
  /**
   * Training: when the run's first session started, the same in the records of every session of one run (a
   * resumed run's `startedAt` is its last session's). Absent in records of runs resumed from older states.
   */
  runStartedAt?: string;
  /** Seconds the run took; for training, the training time of every session it was resumed in. */
  wallSeconds: number;
  model?: GPTConfig;
  trainer?: TrainerConfig;
  /** Training: whether the run finished all its epochs (false when stopped, and for a snapshot). */
  completed?: boolean;
  /** A model written part-way through a longer run (--snapshot-epochs): after `epoch` of its `ofEpochs` epochs. */
  snapshot?: { epoch: number; ofEpochs: number };
  steps?: number;
  tokens?: number;
  finalLoss?: number;
  curve?: CurvePoint[];
  /** Evaluation. */
  accuracy?: number;
  correct?: number;
  total?: number;
  /** Paths the run read and wrote, absolute (so runs can be joined: an evaluate's readingParams is a finetune's writingParams). */
  files: Record<string, string>;
  /** Free-form facts worth keeping (e.g. the synthetic world's options). */
  notes?: Record<string, string | number | boolean>;
}

/** The current commit, or null when git or the repository is unavailable. */
export function currentCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** Writes the record atomically as `<dir>/<time>-<verb>[-<variant>]-<scale>-seed<seed>[-e<snapshot epoch>].json`; returns the path. */
export function writeRunRecord(dir: string, record: RunRecord): string {
  const stamp = record.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const snapshot = record.snapshot && `e${record.snapshot.epoch}`;
  const parts = [stamp, record.verb, record.variant, record.scale, `seed${record.seed}`, snapshot].filter((p) => p !== undefined);
  let file = path.join(dir, parts.join('-') + '.json');
  for (let k = 2; fs.existsSync(file); k++) file = path.join(dir, `${parts.join('-')}-${k}.json`);
  const files = Object.fromEntries(Object.entries(record.files).map(([k, v]) => [k, path.resolve(v)]));
  writeFileAtomic(file, JSON.stringify({ ...record, files }, null, 1) + '\n');
  return file;
}

/** Every record in `dir`, oldest first (by startedAt); files that are not records are skipped. */
export function readRunRecords(dir: string): RunRecord[] {
  if (!fs.existsSync(dir)) return [];
  const out: RunRecord[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RunRecord;
      if (r.format === 'mingpt-run/1') out.push(r);
    } catch {
      // not a record (or a half-written file of another tool): skip
    }
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
}

/** The latest scored record (evaluate or london) of each table row, e.g. for the results table of a notebook. */
export function latestRows(records: readonly RunRecord[]): Partial<Record<TableRow, RunRecord>> {
  const out: Partial<Record<TableRow, RunRecord>> = {};
  for (const r of records) {
    if (!r.row || r.accuracy === undefined) continue;
    if (!out[r.row] || out[r.row]!.startedAt <= r.startedAt) out[r.row] = r;
  }
  return out;
}

/** What identifies a snapshot of a run: its final model file, the epoch, and the run's first start when known. */
export interface SnapshotKey {
  runWritingParams: string;
  epoch: number;
  /** Undefined for a run resumed from a state that did not keep it: then model, trainer and seed must match. */
  runStartedAt?: string;
  model: GPTConfig;
  trainer: TrainerConfig;
  seed: number;
}

/**
 * The record already written for this snapshot, if any. A run resumed from a state saved before a snapshot it
 * had already written replays those steps and comes to the same model; its record must not be written twice.
 */
export function recordedSnapshot(records: readonly RunRecord[], key: SnapshotKey): RunRecord | undefined {
  const file = path.resolve(key.runWritingParams);
  return records.find((r) => r.snapshot?.epoch === key.epoch && r.files.runWritingParams === file && (key.runStartedAt !== undefined
    ? r.runStartedAt === key.runStartedAt
    : r.runStartedAt === undefined && r.seed === key.seed &&
      JSON.stringify(r.model) === JSON.stringify(key.model) && JSON.stringify(r.trainer) === JSON.stringify(key.trainer)));
}
