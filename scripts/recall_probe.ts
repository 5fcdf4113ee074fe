/**
 * Asks pretrained checkpoints, before finetuning, whether they hold the dev birthplaces (`lib/eval/recall.ts`):
 * each continues the start of a dev person's line up to the birthplace, greedily. Prints the recall and writes it
 * to `<results-dir>/recall-<checkpoint name>.json` (format mingpt-recall/1, read by notebook 8), with every
 * continuation and the pretraining record that wrote the checkpoint.
 *
 *   npx tsx scripts/recall_probe.ts [--corpus real|synthetic|auto] [--results-dir results/real] CHECKPOINT.params...
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend, describeBackend } from '../lib/backend';
import { loadCorpus, CorpusChoice } from '../lib/data/corpus';
import { loadCheckpoint } from '../lib/mingpt/checkpoint';
import { RecallRecord, recallItems, recallProbe, visibleChars } from '../lib/eval/recall';
import { currentCommit } from '../lib/results/record';
import { writeFileAtomic } from '../lib/util/atomic';
import { loadRecords, writerOf } from '../lib/results/table';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { corpus: { type: 'string', default: 'real' }, 'results-dir': { type: 'string', default: 'results/real' } },
  });
  if (positionals.length === 0) throw new Error('recall_probe: name at least one pretrained checkpoint (.params)');
  const info = await initBackend();
  console.log(describeBackend(info));
  const corpus = loadCorpus({ corpus: values.corpus as CorpusChoice });
  console.log(corpus.description);
  const dir = values['results-dir'] as string;
  const records = loadRecords(dir);
  for (const file of positionals) {
    const started = Date.now();
    const { model, vocab, meta } = loadCheckpoint(file);
    try {
      const window = visibleChars(model.config.blockSize);
      const set = recallItems(corpus.pretrainText, corpus.dev, window);
      const result = recallProbe(model, vocab, set.items);
      const writer = writerOf(records, file, 'pretrain', new Date().toISOString());
      const record: RecallRecord = {
        format: 'mingpt-recall/1',
        checkpoint: path.basename(file),
        pretrainStartedAt: writer?.startedAt,
        pretrainParams: writer?.files.writingParams,
        pretrainTokens: writer?.tokens,
        corpus: corpus.source,
        variant: model.config.variant,
        model: { ...model.config },
        window,
        commit: currentCommit(),
        backend: info.name,
        measuredAt: new Date().toISOString(),
        wallSeconds: (Date.now() - started) / 1000,
        devQuestions: corpus.dev.length,
        notInText: set.notInText,
        outsideWindow: set.outsideWindow,
        total: result.total,
        correct: result.correct,
        accuracy: result.accuracy,
        continuations: set.items.map((it, i) => ({ dev: it.dev, answer: it.answer, continuation: result.continuations[i] })),
      };
      const out = path.join(dir, `recall-${path.basename(file).replace(/\.params$/, '')}.json`);
      writeFileAtomic(out, JSON.stringify(record, null, 1) + '\n');
      console.log(`${path.basename(file)} (${String(meta.stage ?? 'checkpoint')}, ${model.config.variant}): recalled ${result.correct} of ${result.total} ` +
        `birthplaces within the ${window}-character window (${(100 * result.accuracy).toFixed(1)}%); ${set.notInText} dev people ` +
        `have no line spelling the answer, ${set.outsideWindow} have it beyond the window; written to ${out}`);
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
