/**
 * Weights move both ways between this workbook and PyTorch, and give the same logits.
 *
 * test/fixtures/torch_gpt.py builds the same model in PyTorch (torch 1.13 at /usr/bin/python3, with safetensors
 * parsed by hand). Workbook -> PyTorch: a checkpoint saved here is loaded with load_state_dict(strict=True);
 * PyTorch -> workbook: a bare state_dict written by torch is loaded here. Logits agree to float32 tolerance.
 * Skipped, saying why, where /usr/bin/python3 cannot import torch (set TORCH_PYTHON to use another python).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { GPTConfig, courseModelConfig } from '../lib/mingpt/config';
import { GPT } from '../lib/mingpt/model';
import { loadCheckpoint, saveCheckpoint } from '../lib/mingpt/checkpoint';
import { MASK_CHAR, PAD_CHAR, Vocab } from '../lib/data/vocab';
import { Rng } from '../lib/util/random';
import { randomizeParams } from './model_helpers';

const PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'fixtures', 'torch_gpt.py');

function torchMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (${(r.stderr || '').trim().split('\n').pop()})`;
  return undefined;
}

function python(args: string[]): void {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`torch_gpt.py ${args[0]} failed (${r.status}): ${r.stderr || r.error?.message}`);
}

function vocabOfSize(n: number): Vocab {
  const chars = [PAD_CHAR, MASK_CHAR];
  for (let c = 33; chars.length < n; c++) chars.push(String.fromCodePoint(c));
  return Vocab.fromChars(chars);
}

function randomIds(seed: number, rows: number, cols: number, vocab: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.int(0, vocab - 1)));
}

function maxAbsDiff(a: number[][][], b: number[][][]): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  a.forEach((m, i) => m.forEach((r, t) => r.forEach((v, j) => {
    diff = Math.max(diff, Math.abs(v - b[i][t][j]));
    scale = Math.max(scale, Math.abs(b[i][t][j]));
  })));
  return { diff, scale };
}

describe('PyTorch parity', function () {
  let dir: string;
  before(async function () {
    const why = torchMissing();
    if (why) {
      console.log(`      (skipped: ${why})`);
      this.skip();
    }
    await initBackend();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function torchLogits(ckpt: string, ids: number[][], extra: string[] = []): { logits: number[][][]; keys: string[] } {
    const idxFile = path.join(dir, 'idx.json');
    const outFile = path.join(dir, 'out.json');
    fs.writeFileSync(idxFile, JSON.stringify(ids));
    python(['logits', ckpt, idxFile, outFile, ...extra]);
    const out = JSON.parse(fs.readFileSync(outFile, 'utf8')) as { logits: number[][][]; state_dict_keys: string[] };
    return { logits: out.logits, keys: out.state_dict_keys };
  }

  const cases: [string, GPTConfig][] = [
    ['tiny vanilla', { vocabSize: 20, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32, dropout: 0.1, variant: 'vanilla' }],
    ['tiny rope', { vocabSize: 20, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32, dropout: 0.1, variant: 'rope' }],
    ['course rope', courseModelConfig(256, 'rope')],
  ];
  for (const [name, config] of cases) {
    it(`${name}: workbook checkpoint -> PyTorch load_state_dict(strict) -> same logits and state_dict order`, () => {
      const model = new GPT(config, 70);
      randomizeParams(model, 71, config.nEmbd > 64 ? 0.05 : 0.5);
      const file = path.join(dir, 'ours.safetensors');
      saveCheckpoint(file, model, vocabOfSize(config.vocabSize));
      const ids = randomIds(72, 2, config.blockSize, config.vocabSize);
      const ours = tf.tidy(() => model.logits(tf.tensor2d(ids, [2, config.blockSize], 'int32')).arraySync());
      const theirs = torchLogits(file, ids);
      assert.deepEqual(theirs.keys, [...model.params.keys()], 'state_dict names and order');
      const { diff, scale } = maxAbsDiff(ours, theirs.logits);
      if (process.env.PARITY_VERBOSE) console.log(`      max |diff| ${diff.toExponential(2)}, max |logit| ${scale.toFixed(2)}`);
      assert.ok(diff <= 1e-4 * Math.max(1, scale), `max |diff| ${diff} (logits up to ${scale})`);
      model.dispose();
    });
  }

  for (const variant of ['vanilla', 'rope'] as const) {
    it(`${variant}: bare PyTorch state_dict -> workbook (config inferred, vocabulary given) -> same logits`, () => {
      const file = path.join(dir, `torch_${variant}.safetensors`);
      python(['make', file, '--vocab', '20', '--variant', variant, '--layers', '2', '--heads', '4', '--embd', '32', '--block', '16', '--seed', '3']);
      const vocab = vocabOfSize(20);
      const { model } = loadCheckpoint(file, { vocab, expect: { nHead: 4, blockSize: 16 } });
      assert.equal(model.config.variant, variant);
      assert.deepEqual([model.config.vocabSize, model.config.nLayer, model.config.nEmbd, model.config.blockSize], [20, 2, 32, 16]);
      const ids = randomIds(73, 3, 16, 20);
      const ours = tf.tidy(() => model.logits(tf.tensor2d(ids, [3, 16], 'int32')).arraySync());
      const theirs = torchLogits(file, ids, ['--n-head', '4', '--block-size', '16']);
      const { diff, scale } = maxAbsDiff(ours, theirs.logits);
      if (process.env.PARITY_VERBOSE) console.log(`      max |diff| ${diff.toExponential(2)}, max |logit| ${scale.toFixed(2)}`);
      assert.ok(diff <= 1e-4 * Math.max(1, scale), `max |diff| ${diff} (logits up to ${scale})`);
      model.dispose();
    });
  }
});
