import * as assert from 'node:assert/strict';
import { initBackend } from '../lib/backend';
import { nativeBlasStatus, setBlasThreads } from '../lib/backend/wasm_fixes';
import { generateWorld } from '../lib/data/synthetic_world';
import { Vocab } from '../lib/data/vocab';
import { GPT } from '../lib/mingpt/model';
import { GPTConfig } from '../lib/mingpt/config';
import { flattenParams } from '../lib/mingpt/parallel';
import { SCALES, withOverrides } from '../lib/mingpt/presets';
import { finetuningSetup, pretrainingSetup } from '../lib/mingpt/setups';
import { trainModel } from '../lib/mingpt/train_model';
import { datasetFromRecipe, datasetRecipe, trainTogether, trainsSideBySide } from '../lib/mingpt/train_together';
import type { StepInfo } from '../lib/mingpt/trainer';
import { Rng } from '../lib/util/random';

describe('training several models at once, one thread each', function () {
  this.timeout(300_000);
  const world = generateWorld({ seed: 3, people: 30 });
  const vocab = Vocab.fromCorpus(world.pretrainText);
  const scale = withOverrides(SCALES.smoke, { epochs: 2, nLayer: 1, nEmbd: 32, blockSize: 48 }, 'pretrain');
  const config = (variant: 'vanilla' | 'rope'): GPTConfig => ({ vocabSize: vocab.size, variant, blockSize: 48, nLayer: 1, nHead: 4, nEmbd: 32, dropout: 0.1 });

  before(async () => {
    await initBackend();
  });

  it('a dataset rebuilt from its recipe gives the same examples', () => {
    const pre = pretrainingSetup(scale, vocab, world.pretrainText, 0).dataset;
    const ft = finetuningSetup(scale, vocab, world.train, pre.length, true, 0).dataset;
    for (const d of [pre, ft]) {
      const copy = datasetFromRecipe(structuredClone(datasetRecipe(d)));
      assert.equal(copy.length, d.length);
      for (let i = 0; i < d.length; i += 3) {
        const [a, b] = [d.example(i, new Rng(i)), copy.example(i, new Rng(i))];
        assert.deepEqual([[...a.x], [...a.y]], [[...b.x], [...b.y]], `example ${i}`);
      }
    }
  });

  it('each model ends with the weights that training it alone on one thread gives, number for number', async () => {
    assert.ok(trainsSideBySide(2, 2), 'two jobs on two cores run in two workers');
    const pre = pretrainingSetup(scale, vocab, world.pretrainText, 0);
    const alone = new GPT(config('vanilla'), 0);
    const before = nativeBlasStatus().blas?.threads;
    setBlasThreads(1);
    const aloneResult = await trainModel(alone, pre.dataset, pre.trainer, { threads: 1 });
    if (before !== undefined) setBlasThreads(before);
    const vanilla = new GPT(config('vanilla'), 0);
    const rope = new GPT(config('rope'), 0);
    const steps: Record<string, StepInfo[]> = { vanilla: [], rope: [] };
    const [v, r] = await trainTogether([
      { label: 'vanilla', model: vanilla, dataset: pre.dataset, config: pre.trainer, onStep: (s) => steps.vanilla.push(s) },
      { label: 'rope', model: rope, dataset: pre.dataset, config: pre.trainer, onStep: (s) => steps.rope.push(s) },
    ]);
    assert.deepEqual(flattenParams(vanilla.params), flattenParams(alone.params));
    assert.deepEqual(v.curve.map((p) => p.loss), aloneResult.curve.map((p) => p.loss));
    assert.equal(r.steps, aloneResult.steps);
    const ropeAlone = new GPT(config('rope'), 0);
    const [again] = await trainTogether([{ label: 'rope', model: ropeAlone, dataset: pre.dataset, config: pre.trainer }], { sideBySide: false });
    assert.deepEqual(flattenParams(ropeAlone.params), flattenParams(rope.params), 'one after the other on the main thread: the same numbers');
    assert.equal(again.steps, r.steps);
    ropeAlone.dispose();
    assert.notDeepEqual(flattenParams(rope.params), flattenParams(new GPT(config('rope'), 0).params), 'the RoPE model was trained');
    for (const [label, s] of Object.entries(steps)) {
      assert.equal(s[0]?.step, 1, `${label}: the first step is reported`);
      assert.equal(s[s.length - 1]?.step, v.steps, `${label}: the last step is reported`);
    }
    for (const m of [alone, vanilla, rope]) m.dispose();
  });

  it('clear errors: two jobs with one label, a failing job named', async () => {
    const pre = pretrainingSetup(scale, vocab, world.pretrainText, 0);
    const a = new GPT(config('vanilla'), 0);
    const b = new GPT(config('vanilla'), 1);
    await assert.rejects(trainTogether([
      { label: 'x', model: a, dataset: pre.dataset, config: pre.trainer },
      { label: 'x', model: b, dataset: pre.dataset, config: pre.trainer },
    ]), /two jobs share a label \(x, x\)/);
    await assert.rejects(trainTogether([
      { label: 'good', model: a, dataset: pre.dataset, config: pre.trainer },
      { label: 'broken', model: b, dataset: pre.dataset, config: { ...pre.trainer, batchSize: 0 } },
    ]), /broken: training thread failed: .*batch/i);
    a.dispose();
    b.dispose();
  });
});
