/**
 * Writes the "ask the models" page into `<site>/ask/`: index.html, the page's code bundled by esbuild from
 * scripts/site/ask/page.ts with the workbook's own lib/mingpt (ask.js), the models' data (models.js), and one
 * script file per model's weights and per tfjs wasm binary (loaded by the page only when needed).
 *
 * Weights go as safetensors files in base64 inside a script (a page opened from file:// may load scripts, not
 * fetch files), as float16 when that changes no answer: each model answers every dev question here in float32
 * and in float16, and float16 is shipped only if all answers agree (else float32, and the page says why).
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../lib/backend/index';
import { loadCheckpoint } from '../../lib/mingpt/checkpoint';
import { readSafetensors, TensorToWrite, writeSafetensors } from '../../lib/mingpt/safetensors';
import { modelFromSafetensors } from '../../lib/mingpt/state_dict';
import { firstAnsweredByAll, predictBirthplaces } from '../../lib/eval/evaluate';
import type { QA } from '../../lib/data/tsv';
import { projectPath, withoutMachinePaths } from '../../lib/results/record';
import { tableOf } from '../../lib/results/pick';
import { escapeHtml } from '../../lib/util/format';
import { ASK_LABELS, PickOptions, Picked, pickAskModels, recallFor } from './ask_models';
import type { AskData, AskModel, AskRow } from './ask/data';

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

/** A script that hands `bytes` to the page under the name `key`. */
function deliveryScript(key: string, bytes: Uint8Array): string {
  return `window.askPage.deliver(${JSON.stringify(key)},"${Buffer.from(bytes).toString('base64')}");\n`;
}

/** The page's code, bundled: lib's `@tensorflow/tfjs` imports go to tfjs-core (the page registers its own backends). */
export async function bundleAskPage(): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [path.join(__dirname, 'ask', 'page.ts')],
    bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true, write: false, logLevel: 'silent',
    alias: { '@tensorflow/tfjs': '@tensorflow/tfjs-core' },
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
  });
  return Buffer.from(r.outputFiles[0].contents).toString('utf8');
}

interface Converted {
  params: number;
  bytes: Uint8Array;
  dtype: 'F16' | 'F32';
  note: string;
  /** The model's float32 answers to the dev questions (empty without them). */
  answers: string[];
}

/** The checkpoint as the page gets it: float16 when every dev answer stays the same, else float32. */
function convert(file: string, questions: string[], recorded: string[] | undefined): Converted {
  const { model, vocab, meta } = loadCheckpoint(file);
  try {
    const tensors: [string, TensorToWrite][] = [...model.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]);
    const metadata = { format: 'pt', config: JSON.stringify(model.config), vocab: JSON.stringify(vocab.chars), ...(typeof meta.runId === 'string' ? { runId: meta.runId } : {}) };
    const f32 = writeSafetensors(tensors, metadata);
    const f16 = writeSafetensors(tensors, metadata, { dtype: 'F16' });
    if (questions.length === 0) return { params: model.numParams(), bytes: f32, dtype: 'F32', note: 'no dev questions on the build machine to check float16 against', answers: [] };
    const full = predictBirthplaces(model, vocab, questions);
    const half = modelFromSafetensors(readSafetensors(f16, 'float16 copy'), `float16 copy of ${file}`);
    let changed: number;
    try {
      const answers = predictBirthplaces(half.model, half.vocab, questions);
      changed = answers.filter((a, i) => a !== full[i]).length;
    } finally {
      half.model.dispose();
    }
    const vsRecord = recorded ? full.filter((a, i) => a !== recorded[i]).length : undefined;
    const record = vsRecord === undefined ? '' : vsRecord === 0 ? '; float32 here gives the recorded answers' : `; float32 here differs from the recorded answers on ${vsRecord}`;
    if (changed === 0) return { params: model.numParams(), bytes: f16, dtype: 'F16', note: `float16 gives the float32 answer to all ${questions.length} dev questions${record}`, answers: full };
    return { params: model.numParams(), bytes: f32, dtype: 'F32', note: `float16 changed ${changed} of ${questions.length} dev answers, so float32${record}`, answers: full };
  } finally {
    model.dispose();
  }
}

const HTML = (title: string, footer: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="../assets/workbook.css">
<link rel="stylesheet" href="ask.css">
</head>
<body>
<header class="site"><a class="home" href="../index.html">Transformers workbook</a><nav><a href="../07-pretrain-finetune-rope.html">7. Pretraining, finetuning, and RoPE</a><a href="../08-results.html">8. Results</a></nav></header>
<main class="ask">
<h1>Ask the models: where was NAME born?</h1>
<p id="lead"></p>
<form id="ask-form"><input id="question" list="dev-questions" autocomplete="off" spellcheck="false" aria-label="question"><button id="ask-button" disabled>Ask</button><button type="button" id="another">Another dev question</button></form>
<datalist id="dev-questions"></datalist>
<p id="gold" class="muted"></p>
<p id="status" role="status"></p>
<div id="models" class="models"></div>
<p class="muted" id="mask-legend">⁇ is the course's MASK character. In a question it ends the prompt, and in an answer it ends the answer ("⁇ end" among the candidates). In a pretrained model's completion it is span corruption's marker, which the model learnt to write during pretraining.</p>
<section id="attention">
<h2>Where each model looks</h2>
<p class="muted">Attention weights of the position that wrote each character of the answer, for every layer and head. Click a head to see it large; hover to read a weight.</p>
<div id="attention-models" class="tabs"></div>
<div class="attention-view"><div id="heads" class="heads"></div><figure><canvas id="big"></canvas><figcaption id="big-title"></figcaption><p id="hover" class="muted"></p></figure></div>
</section>
<p id="backend" class="muted"></p>
<p id="corpus" class="muted"></p>
</main>
<footer>${escapeHtml(footer)}</footer>
<script src="ask.js"></script>
<script src="models.js"></script>
</body>
</html>
`;

const CSS = `main.ask { max-width: 80rem; }
#ask-form { display: flex; gap: .5rem; margin: .8rem 0 .2rem; }
#question { flex: 1; font: inherit; padding: .35rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
#ask-form button { font: inherit; padding: .35rem .9rem; border-radius: 6px; border: 1px solid var(--line); background: var(--code-bg); cursor: pointer; }
#ask-button { background: var(--accent) !important; color: #fff; border-color: var(--accent) !important; }
#ask-button:disabled { opacity: .5; cursor: wait; }
.muted { color: var(--muted); font-size: .9rem; }
#status.error { color: var(--err); font-weight: 600; }
.models { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 1rem; margin: 1rem 0; }
.model { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.model.right { border-color: #1a7f37; box-shadow: 0 0 0 1px #1a7f37 inset; }
.model.wrong { border-color: #cf222e55; }
.model h2 { font-size: 1.05rem; margin: 0; }
.model .score { margin: 0; font-size: .85rem; color: var(--muted); }
.answer-line { font: 1.5rem/1.3 ui-monospace, monospace; margin: .4rem 0; min-height: 2rem; }
.answer-line .verdict { font-size: .95rem; margin-left: .4rem; }
.model.right .verdict { color: #1a7f37; } .model.wrong .verdict { color: var(--err); }
.steps { list-style: none; padding: 0; margin: 0; font-size: .78rem; }
.steps li { display: flex; gap: .4rem; align-items: center; border-top: 1px solid #eef0f2; padding: 1px 0; }
.steps .ch { font: 700 1rem ui-monospace, monospace; width: 1.3rem; text-align: center; }
.cands { display: flex; gap: 3px; flex-wrap: nowrap; overflow: hidden; }
.cand { white-space: nowrap; padding: 0 4px; border-radius: 3px; background: linear-gradient(90deg, #b6d4fe calc(var(--p) * 100%), #f6f8fa 0); }
.cand.chosen { outline: 1px solid #0969da88; }
.cand b { font-family: ui-monospace, monospace; }
.recall { font-size: .85rem; margin-top: .4rem; }
.recall .label { font-weight: 600; }
.recall q.continuation { font-family: ui-monospace, monospace; font-weight: 600; }
.prov { font-size: .78rem; color: var(--muted); margin-top: .3rem; } .prov ul { padding-left: 1rem; margin: .2rem 0; } .prov li { word-break: break-all; }
.tabs button { font: inherit; font-size: .9rem; margin-right: .3rem; padding: .2rem .7rem; border: 1px solid var(--line); border-radius: 14px; background: #fff; cursor: pointer; }
.tabs button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
.attention-view { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; margin-top: .6rem; }
.heads { display: grid; gap: 4px; align-items: center; font-size: .75rem; color: var(--muted); }
canvas.thumb { cursor: pointer; border: 2px solid transparent; } canvas.thumb.on { border-color: var(--accent); }
#attention figure { margin: 0; overflow-x: auto; max-width: 100%; } #attention figcaption { font-size: .85rem; max-width: 40rem; }
`;

/**
 * The dev question the page opens on, and why, in a sentence the page shows: one the pretrained models (both, or
 * the one the page has) answer right and the model without pretraining gets wrong, the lesson in one question,
 * preferring a person whose birthplace the pretrained models also recalled before finetuning (`stored`: stored and
 * retrieved); failing that, one the pretrained models answer right, then one RoPE answers right; else the first.
 * A clause about the model without pretraining is only said when the page has that model.
 */
export function openingQuestion(
  dev: readonly QA[], answers: ReadonlyMap<string, string[]>, stored: ReadonlySet<number> = new Set(),
): { index: number; why: string } {
  const of = (row: AskRow): string[][] => (answers.get(row)?.length === dev.length ? [answers.get(row)!] : []);
  const pretrained = [...of('vanilla-pretrain'), ...of('rope-pretrain')];
  // Undefined where the page lacks the model without pretraining: the tries that speak of it are skipped.
  const nopre = of('vanilla-nopretrain').length ? of('vanilla-nopretrain') : undefined;
  const one = of('rope-pretrain').length ? 'the RoPE model' : 'the pretrained vanilla model';
  const who = pretrained.length === 2 ? 'the pretrained models answer it right' : `${one} answers it right`;
  const lesson = `${who} and the model without pretraining does not`;
  const recalled = pretrained.length === 2 ? 'both recalled the place before finetuning' : 'it recalled the place before finetuning';
  const tries: [string[][], string[][] | undefined, ReadonlySet<number> | undefined, string][] = [
    [pretrained, nopre, stored, `${lesson}, and ${recalled}`],
    [pretrained, nopre, undefined, lesson],
    [pretrained, [], stored, `${who}, and ${recalled}`],
    [pretrained, [], undefined, who],
    [of('rope-pretrain'), [], undefined, 'the RoPE model answers it right'],
  ];
  for (const [right, wrong, among, why] of tries) {
    if (right.length === 0 || wrong === undefined || among?.size === 0) continue;
    const index = firstAnsweredByAll(dev, right, wrong, among);
    if (index >= 0) {
      return { index, why: `The page opens on this question because ${why}; most dev questions are harder (see the scores), and "Another dev question" picks one at random.` };
    }
  }
  return { index: 0, why: '' };
}

/** The dev people whose birthplace every pretrained model's recall probe completed. */
export function recalledByAll(models: readonly Pick<AskModel, 'pretrain' | 'recall'>[]): Set<number> {
  const pretrained = models.filter((m) => m.pretrain);
  if (pretrained.length === 0 || pretrained.some((m) => !m.recall)) return new Set();
  const [first, ...rest] = pretrained.map((m) => Object.entries(m.recall!.byDev).filter(([, r]) => r.recalled).map(([i]) => Number(i)));
  return new Set(first.filter((i) => rest.every((r) => r.includes(i))));
}

export interface AskPageOptions extends PickOptions {
  siteDir: string;
  footer?: string;
}

/** Picks the models, converts their weights, bundles the page and writes `<siteDir>/ask/`. Returns what it wrote. */
export async function writeAskPage(o: AskPageOptions): Promise<{ dir: string; data: AskData; picked: Picked }> {
  const log = o.log ?? console.log;
  await initBackend();
  const picked = pickAskModels(o);
  const dir = path.join(o.siteDir, 'ask');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'weights'), { recursive: true });
  const dev = picked.data?.dev ?? [];
  const questions = dev.map((qa) => qa.question);
  const models: AskModel[] = [];
  const answers = new Map<string, string[]>();
  for (const m of picked.models) {
    const conv = convert(m.checkpoint, questions, m.predictions && m.predictions.length === dev.length ? m.predictions : undefined);
    answers.set(m.row, conv.answers);
    const weights = `weights/${m.row}.js`;
    fs.writeFileSync(path.join(dir, weights), deliveryScript(weights, conv.bytes));
    const e = m.entry;
    const config = e.evaluation.model!;
    const recall = recallFor(picked, m);
    models.push({
      row: m.row, label: ASK_LABELS[m.row], variant: config.variant, config,
      params: conv.params,
      weights, bytes: conv.bytes.length, dtype: conv.dtype, dtypeNote: conv.note,
      score: { correct: e.score.correct, total: e.score.total, accuracy: e.score.accuracy }, course: m.course,
      evaluation: e.evaluation.id, recordFile: picked.results.fileOf(e.evaluation), checkpoint: projectPath(m.checkpoint),
      ...(e.finetune ? { finetune: e.finetune.id } : {}), ...(e.pretrain ? { pretrain: e.pretrain.id } : {}),
      ...(recall ? { recall } : {}),
    });
    log(`ask page: ${m.row} from ${projectPath(m.checkpoint)} (${e.evaluation.id}, dev ${(100 * e.score.accuracy).toFixed(1)}%): ${(conv.bytes.length / 1e6).toFixed(2)} MB ${conv.dtype}; ${conv.note}`);
  }
  const wasm: Record<string, string> = {};
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const name of WASM_FILES) {
    wasm[name] = `${name}.js`;
    fs.writeFileSync(path.join(dir, wasm[name]), deliveryScript(wasm[name], fs.readFileSync(path.join(wasmDir, name))));
  }
  const london = tableOf(picked.results, picked.corpus).find((e) => e.row === 'london');
  const baseline = london ? { correct: london.score.correct, total: london.score.total, accuracy: london.score.accuracy, record: london.evaluation.id } : undefined;
  const data: AskData = {
    corpus: picked.corpus, origin: picked.origin, corpusDescription: picked.data ? withoutMachinePaths(picked.data.description) : 'The corpus is not on the machine that built this page.',
    dev: dev.map((qa) => ({ question: qa.question, answer: qa.answer })), opening: openingQuestion(dev, answers, recalledByAll(models)), baseline,
    models, wasm, built: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, 'models.js'), `window.askPage.setData(${JSON.stringify(data)});\n`);
  fs.writeFileSync(path.join(dir, 'ask.js'), await bundleAskPage());
  fs.writeFileSync(path.join(dir, 'ask.css'), CSS);
  fs.writeFileSync(path.join(dir, 'index.html'), HTML('Ask the models · Transformers workbook', o.footer ?? `Built on ${data.built.replace(/\.\d+Z$/, 'Z')}.`));
  return { dir, data, picked };
}
