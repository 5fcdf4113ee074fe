/**
 * Copies runs from the ad-hoc runs folder (runs/, or $MINGPT_RUNS_DIR) into the curated results that notebook 8
 * reads: each named record, the records it descends from (its parent, the parent's parent ...), and their kept
 * predictions, into results/<corpus>/ (or --to). A record already there is left as it is; one of the same id with
 * other content is refused. This is the one way a run of one's own reaches results/, besides scripts/results.sh.
 *
 *   npx tsx scripts/promote.ts [--from runs] [--to results/real] RECORD_ID...
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { RunRecord, defaultRunsDir, predictionsFile, readRunRecords, recordFile } from '../lib/results/record';

/** Copies the records `ids` and their ancestors from `from` to `to` (default results/<corpus>); returns what it did. */
export function promote(ids: readonly string[], from: string, to?: string): string[] {
  const source = new Map(readRunRecords(from).map((r) => [r.id, r]));
  const done: string[] = [];
  const copy = (r: RunRecord): void => {
    const dir = to ?? path.join('results', r.corpus);
    const target = recordFile(dir, r.id);
    const text = fs.readFileSync(recordFile(from, r.id), 'utf8');
    if (fs.existsSync(target)) {
      if (fs.readFileSync(target, 'utf8') !== text) throw new Error(`promote: ${target} exists with other content than ${recordFile(from, r.id)}`);
      done.push(`${r.id}: already in ${dir}/`);
    } else {
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(recordFile(from, r.id), target);
      const predictions = predictionsFile(from, r.id);
      if (fs.existsSync(predictions)) {
        fs.mkdirSync(path.dirname(predictionsFile(dir, r.id)), { recursive: true });
        fs.copyFileSync(predictions, predictionsFile(dir, r.id));
      }
      done.push(`${r.id}: copied to ${dir}/`);
    }
    const parent = r.parent === undefined ? undefined : source.get(r.parent);
    if (parent) copy(parent);
    else if (r.parent !== undefined && !fs.existsSync(recordFile(to ?? path.join('results', r.corpus), r.parent))) {
      done.push(`${r.id}: its parent ${r.parent} is neither in ${from}/ nor in the results`);
    }
  };
  for (const id of ids) {
    const r = source.get(id);
    if (!r) throw new Error(`promote: no record ${id} in ${from}/`);
    copy(r);
  }
  return done;
}

if (require.main === module) {
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' } } });
    if (positionals.length === 0) throw new Error('usage: npx tsx scripts/promote.ts [--from runs] [--to results/real] RECORD_ID...');
    for (const line of promote(positionals, values.from ?? defaultRunsDir(), values.to)) console.log(line);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
