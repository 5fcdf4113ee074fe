/**
 * Loading a results folder: every record of it and of its immediate subfolders (results/real, results/synthetic),
 * indexed by id, so that a run's parents are one lookup away and an evaluation's predictions are read by its id.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readPredictions } from '../eval/predictions_file';
import { RunRecord, predictionsFile, projectPath, readRunRecords, recordFile } from './record';

export class Results {
  /** Every record, oldest first. */
  readonly records: RunRecord[];
  private readonly byId = new Map<string, RunRecord>();
  private readonly dirOf = new Map<string, string>();

  constructor(folders: readonly { dir: string; records: readonly RunRecord[] }[]) {
    for (const { dir, records } of folders) {
      for (const r of records) {
        const seen = this.dirOf.get(r.id);
        if (seen !== undefined) throw new Error(`record ${r.id} is in both ${seen} and ${dir}`);
        this.byId.set(r.id, r);
        this.dirOf.set(r.id, dir);
      }
    }
    this.records = [...this.byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  get(id: string | undefined): RunRecord | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** The run that wrote the checkpoint `r` read. */
  parentOf(r: RunRecord): RunRecord | undefined {
    return this.get(r.parent);
  }

  /** The finetuning and pretraining behind an evaluation (or the pretraining behind a finetuning or a probe). */
  chainOf(r: RunRecord): { finetune?: RunRecord; pretrain?: RunRecord } {
    const parent = this.parentOf(r);
    if (r.verb === 'finetune') return { finetune: r, ...(parent?.verb === 'pretrain' ? { pretrain: parent } : {}) };
    if (parent?.verb === 'pretrain') return { pretrain: parent };
    if (parent?.verb !== 'finetune') return {};
    const pretrain = this.parentOf(parent);
    return { finetune: parent, ...(pretrain?.verb === 'pretrain' ? { pretrain } : {}) };
  }

  /** The records that read a checkpoint of `r`'s run (its finetunings, evaluations, probes). */
  childrenOf(r: RunRecord): RunRecord[] {
    return this.records.filter((x) => x.parent === r.id);
  }

  /** The predictions an evaluation (or london) kept beside its record, one per question; undefined when absent. */
  predictionsOf(r: RunRecord): string[] | undefined {
    const file = predictionsFile(this.dirOf.get(r.id) ?? '', r.id);
    return fs.existsSync(file) ? readPredictions(file) : undefined;
  }

  /** The record's file, relative to the project (what a link to it points at). */
  fileOf(r: RunRecord): string {
    return projectPath(recordFile(this.dirOf.get(r.id) ?? '', r.id));
  }
}

/** The records of `dir` and of its immediate subfolders. */
export function loadResults(dir: string): Results {
  if (!fs.existsSync(dir)) return new Results([]);
  const subfolders = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name));
  return new Results([dir, ...subfolders].map((d) => ({ dir: d, records: readRunRecords(d) })));
}
