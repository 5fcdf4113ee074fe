/**
 * Asks pretrained checkpoints, before finetuning, whether they hold the dev birthplaces (`lib/eval/recall.ts`):
 * each continues the start of a dev person's line up to the birthplace, greedily. Prints the recall and writes a
 * run record (verb `recall`, its parent the run that wrote the checkpoint) with every continuation to the results
 * folder, read by notebook 8. --skip-probed leaves out checkpoints whose run already has a probe there.
 *
 *   npx tsx scripts/recall_probe.ts [--corpus real|synthetic|auto] [--results-dir results/real] [--skip-probed] CHECKPOINT.params...
 */
import { parseArgs } from 'util';
import { initBackend, describeBackend } from '../lib/backend';
import { loadCorpus, CorpusChoice } from '../lib/data/corpus';
import { loadCheckpoint } from '../lib/mingpt/checkpoint';
import { recallItems, recallProbe, visibleChars } from '../lib/eval/recall';
import { RECORD_FORMAT, RunRecord, currentCommit, readRunRecords, runId, writeRunRecord } from '../lib/results/record';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      corpus: { type: 'string', default: 'real' }, 'results-dir': { type: 'string', default: 'results/real' },
      'skip-probed': { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new Error('recall_probe: name at least one pretrained checkpoint (.params)');
  const info = await initBackend();
  console.log(describeBackend(info));
  const corpus = loadCorpus({ corpus: values.corpus as CorpusChoice });
  console.log(corpus.description);
  const dir = values['results-dir'] as string;
  const probed = new Set(readRunRecords(dir).filter((r) => r.verb === 'recall').map((r) => r.parent));
  for (const file of positionals) {
    const started = new Date();
    const { model, vocab, meta } = loadCheckpoint(file);
    const parent = typeof meta.runId === 'string' ? meta.runId : undefined;
    if (values['skip-probed'] && parent !== undefined && probed.has(parent)) {
      console.log(`${file}: its run ${parent} is probed already in ${dir}/`);
      model.dispose();
      continue;
    }
    try {
      const window = visibleChars(model.config.blockSize);
      const set = recallItems(corpus.pretrainText, corpus.dev, window);
      const result = recallProbe(model, vocab, set.items);
      const startedAt = started.toISOString();
      const record: RunRecord = {
        format: RECORD_FORMAT, id: runId({ startedAt, verb: 'recall', variant: model.config.variant }), verb: 'recall',
        ...(parent ? { parent } : {}), corpus: corpus.source, variant: model.config.variant, seed: Number(meta.seed ?? 0),
        backend: info.name, commit: currentCommit(), startedAt, wallSeconds: (Date.now() - started.getTime()) / 1000,
        model: { ...model.config }, accuracy: result.accuracy, correct: result.correct, total: result.total,
        recall: {
          window, devQuestions: corpus.dev.length, notInText: set.notInText, outsideWindow: set.outsideWindow,
          continuations: set.items.map((it, i) => ({ dev: it.dev, answer: it.answer, continuation: result.continuations[i] })),
        },
        files: { readingParams: file },
      };
      const out = writeRunRecord(dir, record);
      console.log(`${file} (${String(meta.stage ?? 'checkpoint')}, ${model.config.variant}): recalled ${result.correct} of ${result.total} ` +
        `birthplaces within the ${window}-character window (${(100 * result.accuracy).toFixed(1)}%); ${set.notInText} dev people ` +
        `have no line spelling the answer, ${set.outsideWindow} have it beyond the window; record ${out}`);
    } finally {
      model.dispose();
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
