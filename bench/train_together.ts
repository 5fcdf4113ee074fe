/**
 * Notebook 7's pretraining, timed three ways in one run: the vanilla and RoPE models one after the other (two
 * training threads each, micro-batches of 8), both at once (trainTogether, one thread each) with micro-batches of
 * 8, and both at once with the smoke preset's whole batches of 16 in one pass, as notebook 7 trains. Prints the
 * steps per second of each way and their ratios to the first.
 *
 *   npx tsx bench/train_together.ts              # 13 epochs of the synthetic world at the smoke scale (403 steps)
 *   npx tsx bench/train_together.ts --epochs 40
 */
import { initBackend } from '../lib/backend/index';
import { loadCorpus, Vocab } from '../lib/data/index';
import { GPT } from '../lib/mingpt/model';
import { presetModelConfig, scalePreset, withOverrides } from '../lib/mingpt/presets';
import { pretrainingSetup } from '../lib/mingpt/setups';
import { trainModel } from '../lib/mingpt/train_model';
import { trainTogether, trainsSideBySide } from '../lib/mingpt/train_together';

async function main(): Promise<void> {
  const at = process.argv.indexOf('--epochs');
  const epochs = at > 0 ? Number(process.argv[at + 1]) : 13;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${process.argv[at + 1]}`);
  await initBackend();
  const corpus = loadCorpus({ corpus: 'synthetic' });
  const vocab = Vocab.fromCorpus(corpus.pretrainText);
  const scale = withOverrides(scalePreset('smoke'), { epochs }, 'pretrain');
  const pre = pretrainingSetup(scale, vocab, corpus.pretrainText, 0);
  const models = (): GPT[] => (['vanilla', 'rope'] as const).map((v) => new GPT(presetModelConfig(scale, vocab.size, v), 0));

  // One after the other, each with the helper thread: batches in micro-batches of 8, half of them on the helper.
  const split = { ...pre.trainer, microBatchSize: 8 };
  let t0 = Date.now();
  const [a, b] = models();
  const ra = await trainModel(a, pre.dataset, split, { threads: 2 });
  await trainModel(b, pre.dataset, split, { threads: 2 });
  const apart = (Date.now() - t0) / 1000;
  a.dispose();
  b.dispose();

  /** Both at once, one thread each, with the given settings; seconds. */
  const together = async (config: typeof pre.trainer): Promise<number> => {
    const start = Date.now();
    const [c, d] = models();
    await trainTogether([
      { label: 'vanilla', model: c, dataset: pre.dataset, config },
      { label: 'rope', model: d, dataset: pre.dataset, config },
    ]);
    c.dispose();
    d.dispose();
    return (Date.now() - start) / 1000;
  };
  const togetherSplit = await together(split);
  const togetherPreset = await together(pre.trainer);

  const steps = 2 * ra.steps;
  const rate = (s: number): string => `${s.toFixed(1)} s, ${(steps / s).toFixed(1)} steps/s, ${(apart / s).toFixed(2)}x the first`;
  const sideBySide = trainsSideBySide(2) ? '' : ' (fewer than 2 cores: one after the other)';
  console.log(`smoke scale, synthetic world, 2 models x ${ra.steps} steps (${epochs} epochs)`);
  console.log(`one after the other, 2 threads each, micro-batches of 8: ${apart.toFixed(1)} s, ${(steps / apart).toFixed(1)} steps/s`);
  console.log(`both at once, 1 thread each, micro-batches of 8${sideBySide}: ${rate(togetherSplit)}`);
  console.log(`both at once, 1 thread each, the preset's ${pre.trainer.microBatchSize ?? 8}-row passes (notebook 7)${sideBySide}: ${rate(togetherPreset)}`);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
