/**
 * Profiles training steps of the real course model (GPT + AdamW through Trainer.trainStep) on real
 * pretraining batches: wall and CPU ms per step, then ms per kernel of one step.
 *   npx tsx bench/profile_step.ts          (env: B=batch, STEPS, PROFILE=1, TRIM=0|1, VARIANT=vanilla|rope, FUSED=0|1)
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend } from '../lib/backend';
import { setFusedKernels } from '../lib/backend/fused';
import { loadCorpus } from '../lib/data/corpus';
import { Vocab } from '../lib/data/vocab';
import { CharCorruptionDataset } from '../lib/data/char_corruption';
import { courseModelConfig, Variant } from '../lib/mingpt/config';
import { GPT } from '../lib/mingpt/model';
import { Trainer, MINGPT_TRAINER_DEFAULTS } from '../lib/mingpt/trainer';
import { datasetBatches } from '../lib/mingpt/batches';

async function main(): Promise<void> {
  const info = await initBackend();
  setFusedKernels(process.env.FUSED !== '0');
  const B = Number(process.env.B ?? 32);
  const corpus = loadCorpus({ corpus: 'real' });
  const vocab = Vocab.fromCorpus(corpus.pretrainText);
  const data = datasetBatches(new CharCorruptionDataset(vocab, corpus.pretrainText, 128), { trimPad: process.env.TRIM !== '0' });
  const model = new GPT(courseModelConfig(vocab.size, (process.env.VARIANT ?? 'vanilla') as Variant), 0);
  const trainer = new Trainer(model, data, {
    ...MINGPT_TRAINER_DEFAULTS, maxEpochs: 1, batchSize: B, learningRate: 6e-3, decay: true,
    warmupTokens: 512 * 20, finalTokens: 200 * 128 * 2938, seed: 1,
  });
  const batch = data.batch(trainer.batchIndices(0), 1);
  console.log(describeBackend(info), `B=${B} time=${batch.time} useful=${batch.usefulTokens}`);
  for (let i = 0; i < 2; i++) trainer.trainStep(batch, 1e-4, i);
  const steps = Number(process.env.STEPS ?? 3);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainer.trainStep(batch, 1e-4, i);
  const ms = (performance.now() - t0) / steps; const cpu = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1000 / steps;
  console.log(`ms/step wall ${ms.toFixed(0)} cpu ${cpu.toFixed(0)}  positions/s(wall) ${((B * 128) / ms * 1000).toFixed(0)}`);
  if (process.env.PROFILE) {
    const prof = await tf.profile(() => { trainer.trainStep(batch, 1e-4, 9); });
    const by = new Map<string, number>(), byName = new Map<string, number>();
    for (const k of prof.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      by.set(key, (by.get(key) ?? 0) + (k.kernelTimeMs as number));
      byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    }
    console.log('total kernel ms', [...byName.values()].reduce((a, b) => a + b, 0).toFixed(0));
    for (const [k, v] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 16)) console.log(v.toFixed(1).padStart(8), k);
    console.log('---');
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25))) console.log(v.toFixed(1).padStart(8), k);
  }
}
main();
