/**
 * Where a model looks when it answers (lib/eval/attention_map.ts) and its heatmap (lib/viz/attention.ts): the
 * MASK's attention row over the prompt, per layer and head, from the model's own forward pass.
 */
import * as assert from 'node:assert/strict';
import { initBackend } from '../lib/backend';
import { encodePrompt } from '../lib/data/name_dataset';
import { Vocab } from '../lib/data/vocab';
import { answerAttention, attentionOnName, nameAttentionSentence } from '../lib/eval/attention_map';
import { predictBirthplaces } from '../lib/eval/evaluate';
import { GPT } from '../lib/mingpt/model';
import { ATTENTION_COLORS, answerAttentionFigure, attentionRowLabels, promptColumnLabels } from '../lib/viz/attention';
import { HeatmapTrace } from '../lib/viz/index';
import { randomizeParams, tinyConfig } from './model_helpers';

describe('attention of the answer\'s first character', () => {
  const vocab = Vocab.fromCorpus('Where was Ann Lee born? Paris London Zurich\n');
  const question = 'Where was Ann Lee born?';

  before(async () => {
    await initBackend();
  });

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: [layers][heads][prompt length], each row a distribution over the prompt, the MASK's row of the model's maps`, () => {
      const model = new GPT(tinyConfig(variant, { vocabSize: vocab.size, nLayer: 3, nHead: 2, nEmbd: 16, blockSize: 64 }), 3);
      try {
        randomizeParams(model, 4, 1.0);
        const a = answerAttention(model, vocab, question);
        const ids = encodePrompt(vocab, question);
        assert.equal(a.prompt.join(''), `${question}\u2047`);
        assert.equal(a.prompt.length, ids.length);
        assert.equal(a.weights.length, 3);
        for (const layer of a.weights) {
          assert.equal(layer.length, 2);
          for (const row of layer) {
            assert.equal(row.length, ids.length);
            assert.ok(row.every((w) => w >= 0), 'weights are probabilities');
            assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-5, `row sums to ${row.reduce((s, w) => s + w, 0)}`);
          }
        }
        // The row of the prompt's last position in the model's own maps, cut to the prompt.
        const maps = model.attentionMaps(ids);
        assert.deepEqual(a.weights[2][1], maps[2][1][ids.length - 1]);
        // Not uniform: randomised weights make the heads look at some characters more than others.
        assert.ok(Math.max(...a.weights[0][0]) > 1.5 / ids.length);
        assert.equal(a.answer, predictBirthplaces(model, vocab, [question])[0]);
      } finally {
        model.dispose();
      }
    });
  }

  it('attentionOnName adds up the weight on the name\'s characters and finds the head that gives it the most', () => {
    const prompt = [...'Where was Ann Lee born?\u2047'];
    const T = prompt.length;
    const onName = (share: number): number[] => prompt.map((_, j) => (j >= 10 && j < 17 ? share / 7 : (1 - share) / (T - 7)));
    const a = { question, prompt, answer: 'Paris', weights: [[onName(0.2), onName(0.5)], [onName(0.9), onName(0.1)]] };
    const n = attentionOnName(a);
    assert.deepEqual(n.span, [10, 17]);
    assert.deepEqual(n.share.map((l) => l.map((x) => Number(x.toFixed(6)))), [[0.2, 0.5], [0.9, 0.1]]);
    assert.deepEqual({ layer: n.top.layer, head: n.top.head }, { layer: 1, head: 0 });
    assert.equal(nameAttentionSentence('RoPE', a),
      'RoPE answers "Paris": layer 2, head 1 puts 90% of its attention on the 7 characters of "Ann Lee", which are 29% of the prompt\'s 24.');
    assert.throws(() => attentionOnName({ ...a, question: 'Where was Bob born?' }), /does not spell the name "Bob"/);
  });

  it('the figure: two heatmaps, one row per layer and head, one column per character, one colour scale', () => {
    const prompt = [...'Where was Ann Lee born?\u2047'];
    const row = (k: number): number[] => prompt.map((_, j) => (j === k ? 1 : 0));
    const left = { label: 'vanilla', attention: { question, prompt, answer: 'Paris', weights: [[row(0), row(3)], [row(10), row(12)]] } };
    const right = { label: 'RoPE', attention: { question, prompt, answer: 'Lima', weights: [[row(1), row(1)], [row(11), row(23)]] } };
    const fig = answerAttentionFigure(left, right);
    const maps = fig.data.filter((t): t is HeatmapTrace => t.type === 'heatmap');
    assert.equal(maps.length, 2);
    for (const m of maps) {
      assert.equal(m.z.length, 4);
      assert.equal(m.z[0].length, prompt.length);
      assert.deepEqual(m.y, attentionRowLabels(2, 2));
      assert.deepEqual([m.zmin, m.zmax], [0, 1]);
      assert.deepEqual(m.colorscale, ATTENTION_COLORS, 'white at zero, dark at the top');
    }
    assert.deepEqual(maps[0].z[2], row(10));
    assert.deepEqual(maps.map((m) => m.showscale), [false, true]);
    assert.deepEqual(attentionRowLabels(2, 2), ['layer 1, head 1', 'layer 1, head 2', 'layer 2, head 1', 'layer 2, head 2']);
    assert.equal(new Set(promptColumnLabels(prompt)).size, prompt.length, 'repeated characters get distinct columns');
    assert.equal(promptColumnLabels(prompt)[5], '5:\u2423');
    for (const axis of [fig.layout?.xaxis, fig.layout?.xaxis2]) {
      assert.deepEqual(axis?.tickvals, promptColumnLabels(prompt), 'every column has a tick');
      assert.equal(axis?.ticktext?.join(''), 'Where\u2423was\u2423Ann\u2423Lee\u2423born?\u2047', 'labelled with its character alone');
    }
    const titles = (fig.layout?.annotations ?? []).map((x) => x.text);
    assert.deepEqual(titles, ['vanilla: answers "Paris"', 'RoPE: answers "Lima"']);
    assert.throws(() => answerAttentionFigure(left, { ...right, attention: { ...right.attention, prompt: [...'Where was Bob born?\u2047'] } }), /the two prompts differ/);
  });
});
