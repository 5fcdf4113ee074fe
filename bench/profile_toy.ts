/** Profiles one training step of the toy GPT at the course's shapes: total ms and ms per kernel. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { COURSE_SHAPES, ToyGPT, randomBatch, trainStep } from './toy_gpt';
import { Rng } from '../lib/util/random';

async function main(): Promise<void> {
  const info = await initBackend();
  const B = Number(process.env.B ?? 32);
  const model = new ToyGPT(COURSE_SHAPES, 1);
  const opt = tf.train.adam(3e-4);
  const rng = new Rng(2);
  const { x, y } = randomBatch(rng, B, COURSE_SHAPES.blockSize, COURSE_SHAPES.vocabSize);
  console.log(info.name, 'params', model.numParams);
  for (let i = 0; i < 2; i++) trainStep(model, opt, x, y);
  const steps = Number(process.env.STEPS ?? 3);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(model, opt, x, y);
  const ms = (performance.now() - t0) / steps;
  console.log(`B=${B} ms/step ${ms.toFixed(0)} tokens/s ${((B * 128) / ms * 1000).toFixed(0)}`);
  if (process.env.PROFILE) {
    const prof = await tf.profile(() => { trainStep(model, opt, x, y); });
    const by = new Map<string, number>();
    for (const k of prof.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      by.set(key, (by.get(key) ?? 0) + (k.kernelTimeMs as number));
    }
    const byName = new Map<string, number>();
    for (const k of prof.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    const total = [...byName.values()].reduce((a, b) => a + b, 0);
    console.log('total kernel ms', total.toFixed(0));
    for (const [k, v] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(v.toFixed(1).padStart(8), k);
    console.log('---');
    for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(v.toFixed(1).padStart(8), k);
  }
}
main();
