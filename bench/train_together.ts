/**
 * Notebook 7's pretraining, timed two ways in one run: the vanilla and RoPE models one after the other (two
 * training threads each, trainModel's default), and both at once (trainTogether, one thread each). Prints the
 * steps per second of each way and their ratio.
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

  let t0 = Date.now();
  const [a, b] = models();
  const ra = await trainModel(a, pre.dataset, pre.trainer);
  await trainModel(b, pre.dataset, pre.trainer);
  const apart = (Date.now() - t0) / 1000;
  a.dispose();
  b.dispose();

  t0 = Date.now();
  const [c, d] = models();
  await trainTogether([
    { label: 'vanilla', model: c, dataset: pre.dataset, config: pre.trainer },
    { label: 'rope', model: d, dataset: pre.dataset, config: pre.trainer },
  ]);
  const together = (Date.now() - t0) / 1000;
  c.dispose();
  d.dispose();

  const steps = 2 * ra.steps;
  console.log(`smoke scale, synthetic world, 2 models x ${ra.steps} steps (${epochs} epochs)`);
  console.log(`one after the other, 2 threads each: ${apart.toFixed(1)} s, ${(steps / apart).toFixed(1)} steps/s`);
  console.log(`both at once, 1 thread each${trainsSideBySide(2) ? '' : ' (fewer than 2 cores: one after the other)'}: ` +
    `${together.toFixed(1)} s, ${(steps / together).toFixed(1)} steps/s`);
  console.log(`both at once / one after the other: ${(apart / together).toFixed(2)}x the throughput`);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
