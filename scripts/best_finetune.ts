/**
 * The finetuning settings that did best on held-out training pairs (lib/results/finetune_sweep.ts): prints every
 * trial of HELD_OUT.tsv from the pretrained model FROM recorded in the results folder to stderr and the best
 * trial's flags to stdout, for scripts/results.sh sweep to finetune on all the training pairs with.
 *
 *   npx tsx scripts/best_finetune.ts [--results-dir results/real] --from PRETRAINED.params HELD_OUT.tsv
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { bestTrial, heldOutTrials } from '../lib/results/finetune_sweep';
import { loadResults } from '../lib/results/load';
import { readSafetensors } from '../lib/mingpt/safetensors';

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'results-dir': { type: 'string', default: 'results/real' }, from: { type: 'string' } } });
  const from = values.from;
  if (positionals.length !== 1 || from === undefined) {
    throw new Error('usage: npx tsx scripts/best_finetune.ts [--results-dir results/real] --from PRETRAINED.params HELD_OUT.tsv');
  }
  // The trials are told apart by the run that wrote their starting checkpoint, whose id the checkpoint carries.
  const runId = readSafetensors(fs.readFileSync(from), from).metadata.runId;
  if (runId === undefined) throw new Error(`best_finetune: ${from} carries no run id (written before runs had ids: scripts/migrate_records.ts stamps it)`);
  const dir = values['results-dir'] as string;
  const trials = heldOutTrials(loadResults(dir), positionals[0], runId);
  const best = bestTrial(trials);
  if (!best) throw new Error(`best_finetune: no trial on ${positionals[0]} from ${from} (run ${runId}) is recorded in ${dir}/ (run scripts/results.sh sweep)`);
  for (const t of trials) {
    console.error(`${t === best ? '*' : ' '} ${t.flags || '(the preset)'}: ${t.correct}/${t.total} = ${(100 * t.accuracy).toFixed(1)}%`);
  }
  console.log(best.flags);
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
