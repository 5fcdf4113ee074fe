/**
 * The "ask the models" page: the reader asks "Where was NAME born?" and the finetuned models answer side by side,
 * character by character, in the browser, with the workbook's own model code (lib/mingpt) on a tfjs browser
 * backend. For each generated character: the top candidates and their probabilities; for each model, layer and
 * head: where the writing position looked (a heatmap, click a head); for a dev person: what the pretrained model
 * completes from the start of their line (the recall probe), beside the finetuned answer.
 *
 * Bundled by esbuild into ask.js (scripts/site/ask_page.ts). The data comes from models.js, the weights and the
 * wasm binary from their own script files, loaded when needed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GPT } from '../../../lib/mingpt/model';
import { greedySteps } from '../../../lib/mingpt/generate';
import { readSafetensors } from '../../../lib/mingpt/safetensors';
import { modelFromSafetensors } from '../../../lib/mingpt/state_dict';
import { Vocab } from '../../../lib/data/vocab';
import { encodePrompt, foldedAnswer } from '../../../lib/data/name_dataset';
import { GENERATED_CHARS, extractAnswer } from '../../../lib/eval/evaluate';
import { BACKENDS, BackendName, chooseBackend } from './backend';
import { askGlobal, loadDelivered } from './load';
import { cellAt, drawHeatmap, Heatmap, shown } from './heatmap';
import type { AskData, AskModel } from './data';

interface Loaded {
  info: AskModel;
  model: GPT;
  vocab: Vocab;
}

/** One generated character and the candidates it was chosen from. */
interface Step {
  ch: string;
  top: { ch: string; p: number }[];
}

/** What one model did with the current question. */
interface Answer {
  prompt: number[];
  ids: number[];
  steps: Step[];
  text: string;
  /** Whether the answer is complete. */
  finished: boolean;
  /**
   * maps[layer][head][generated index][column]: the attention rows of the writing positions; computed when
   * first shown (`mapsOf`), not for every model: each costs a forward pass over the question and its answer.
   */
  maps?: number[][][][];
  /** The columns of those rows: the prompt, then the answer so far. */
  columns: string[];
}

const TOP = 5;
const $ = <T extends HTMLElement>(sel: string, root: ParentNode = document): T => root.querySelector(sel) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const pct = (p: number, digits = 1): string => `${(100 * p).toFixed(digits)}%`;
const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/** A character as a candidate: MASK is the end of the answer. */
function candidateLabel(ch: string, vocab: Vocab): string {
  if (ch === vocab.chars[vocab.maskId]) return '⁇ end';
  return ch === ' ' ? '␣ space' : ch;
}

class AskPage {
  private loaded: Loaded[] = [];
  private answers = new Map<string, Answer>();
  private run = 0;
  private view = { row: '', layer: 0, head: 0 };
  readonly timings: Record<string, number> = {};

  constructor(private readonly data: AskData) {}

  /** Live tensors, for the benchmark's leak check (bench/ask_page.ts): the same after every question. */
  numTensors(): number {
    return tf.memory().numTensors;
  }

  async start(): Promise<void> {
    this.renderShell();
    const params = new URLSearchParams(location.search);
    const requested = params.get('backend') as BackendName | null;
    const known = requested !== null && BACKENDS.includes(requested);
    this.status('Starting tfjs…');
    const backend = await chooseBackend(known ? requested : undefined, this.data.wasm);
    this.timings.backend = performance.now();
    const ignored = requested !== null && !known ? ` (?backend=${requested} is not one of ${BACKENDS.join(', ')})` : '';
    $('#backend').textContent = `tfjs ${tf.version_core} on ${backend.name}: ${backend.why}${ignored}.`;
    document.body.dataset.backend = backend.name;
    this.status(`Loading the weights of ${this.data.models.length} models…`);
    const files = this.data.models.map((info) => loadDelivered(info.weights)); // the files load side by side
    files.forEach((f) => f.catch(() => undefined)); // a failure is reported once, where it is awaited
    for (const [i, info] of this.data.models.entries()) {
      const bytes = await files[i];
      const { model, vocab } = modelFromSafetensors(readSafetensors(bytes, info.weights), info.weights, { expect: { variant: info.variant } });
      this.loaded.push({ info, model, vocab });
    }
    this.timings.weights = performance.now();
    this.status('');
    ($('#ask-button') as HTMLButtonElement).disabled = false;
    document.body.dataset.ready = 'true';
    const q = params.get('q') ?? this.data.dev[this.data.opening.index]?.question ?? this.data.dev[0]?.question ?? 'Where was Ada Lovelace born?';
    ($('#question') as HTMLInputElement).value = q;
    await this.ask(q);
    this.timings.firstAnswer = this.timings.answered;
    this.timings.firstAttention = performance.now();
  }

  private status(text: string, error = false): void {
    const s = $('#status');
    s.textContent = text;
    s.classList.toggle('error', error);
  }

  private renderShell(): void {
    const d = this.data;
    const scores = [
      ...(d.baseline ? [`always answering “London” ${pct(d.baseline.accuracy)}`] : []),
      ...d.models.map((m) => `${m.label} ${pct(m.score.accuracy)}`),
    ].join('; ');
    $('#lead').textContent =
      `${d.origin} They answer here, in your browser, with the workbook's own model code. ` +
      `Dev accuracy from their evaluation records: ${scores}.`;
    $('#corpus').textContent = d.corpusDescription;
    const list = $('#dev-questions');
    d.dev.forEach((qa) => list.append(el('option', { value: qa.question })));
    const models = $('#models');
    for (const m of d.models) {
      const prov = el('details', { class: 'prov' }, el('summary', {}, 'provenance'),
        el('ul', {},
          el('li', {}, `evaluation record ${m.evaluation} (${m.recordFile})`),
          ...(m.finetune ? [el('li', {}, `finetuned by ${m.finetune}`)] : []),
          ...(m.pretrain ? [el('li', {}, `pretrained by ${m.pretrain}`)] : []),
          el('li', {}, `checkpoint ${m.checkpoint}`),
          el('li', {}, `${m.params.toLocaleString('en')} parameters, ${m.config.nLayer} layers × ${m.config.nHead} heads, width ${m.config.nEmbd}; weights ${(m.bytes / 1e6).toFixed(2)} MB as ${m.dtype === 'F16' ? 'float16' : 'float32'}: ${m.dtypeNote}`),
          ...(m.recall ? [el('li', {}, `recall probe: ${m.recall.source}`)] : []),
        ));
      models.append(el('article', { class: 'model', 'data-row': m.row, 'data-done': 'false' },
        el('h2', {}, m.label),
        el('p', { class: 'score' }, `dev ${pct(m.score.accuracy)} (${m.score.correct} of ${m.score.total})`, el('span', { class: 'course', title: "the course's reported dev accuracy for this row, for reference" }, ` · the course, on Wikipedia: ${pct(m.course)}`)),
        el('p', { class: 'answer-line' }, el('span', { class: 'answer' }), el('span', { class: 'verdict' })),
        el('ol', { class: 'steps' }),
        el('div', { class: 'recall' }),
        prov));
    }
    const tabs = $('#attention-models');
    for (const m of d.models) {
      const b = el('button', { type: 'button', 'data-row': m.row }, m.label);
      b.addEventListener('click', () => this.showAttention({ row: m.row }));
      tabs.append(b);
    }
    $('#ask-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.ask(($('#question') as HTMLInputElement).value);
    });
    $('#another').addEventListener('click', () => {
      if (!d.dev.length) return;
      const current = ($('#question') as HTMLInputElement).value;
      let q = current;
      for (let i = 0; i < 10 && q === current; i++) q = d.dev[Math.floor(Math.random() * d.dev.length)].question;
      ($('#question') as HTMLInputElement).value = q;
      void this.ask(q);
    });
    if (!d.dev.length) $('#another').setAttribute('hidden', '');
  }

  /** Every model answers `question`, one character per model in turn, the page redrawn between characters. */
  async ask(question: string): Promise<void> {
    const run = ++this.run;
    const vocab = this.loaded[0].vocab;
    let prompt: number[];
    try {
      prompt = encodePrompt(vocab, question);
    } catch (e) {
      this.status((e as Error).message, true);
      return;
    }
    this.status('');
    const devIndex = this.data.dev.findIndex((qa) => foldedAnswer(qa.question) === foldedAnswer(question));
    const gold = devIndex >= 0 ? foldedAnswer(this.data.dev[devIndex].answer) : undefined;
    const chosen = devIndex >= 0 && devIndex === this.data.opening.index && this.data.opening.why ? ` ${this.data.opening.why}` : '';
    $('#gold').textContent = gold !== undefined ? `A dev question: the answer is ${gold}.${chosen}` : 'Not a dev question: there is no answer to check against.';
    const jobs = this.loaded.map((l) => {
      const card = $(`.model[data-row="${l.info.row}"]`);
      card.dataset.done = 'false';
      $('.answer', card).textContent = '';
      $('.verdict', card).textContent = '';
      $('.steps', card).replaceChildren();
      this.showRecall(l, card, devIndex);
      const answer: Answer = { prompt, ids: [], steps: [], text: '', columns: [], finished: false };
      this.answers.set(l.info.row, answer);
      return { l, card, answer, steps: greedySteps(l.model, prompt, GENERATED_CHARS, { stopAt: vocab.maskId }) };
    });
    let live = jobs;
    while (live.length) {
      if (run !== this.run) {
        for (const j of live) j.steps.return();
        return;
      }
      live = live.filter((j) => {
        const next = j.steps.next();
        if (next.done) {
          this.finish(j.l, j.card, j.answer, gold);
          return false;
        }
        this.addStep(j.l, j.card, j.answer, next.value.id, next.value.probs);
        return true;
      });
      await frame();
    }
    if (run !== this.run) return;
    this.timings.answered = performance.now();
    // The heatmaps cost a forward pass of their own: drawn once the answers are on the screen.
    await frame();
    if (run !== this.run) return;
    this.showAttention({});
  }

  private addStep(l: Loaded, card: HTMLElement, a: Answer, id: number, probs: Float32Array): void {
    const ch = l.vocab.chars[id];
    const order = Array.from(probs.keys()).sort((x, y) => probs[y] - probs[x]).slice(0, TOP);
    const step: Step = { ch, top: order.map((i) => ({ ch: l.vocab.chars[i], p: probs[i] })) };
    a.ids.push(id);
    a.steps.push(step);
    if (id !== l.vocab.maskId) $('.answer', card).textContent += ch;
    const cands = step.top.map((c, i) =>
      el('span', { class: `cand${i === 0 ? ' chosen' : ''}`, style: `--p:${c.p.toFixed(4)}`, title: `${candidateLabel(c.ch, l.vocab)}: ${pct(c.p, 2)}` },
        el('b', {}, candidateLabel(c.ch, l.vocab)), ` ${pct(c.p, c.p < 0.1 ? 1 : 0)}`));
    $('.steps', card).append(el('li', {}, el('span', { class: 'ch' }, id === l.vocab.maskId ? '⁇' : shown(ch)), el('span', { class: 'cands' }, ...cands)));
  }

  private finish(l: Loaded, card: HTMLElement, a: Answer, gold: string | undefined): void {
    a.text = extractAnswer(l.vocab, [...a.prompt, ...a.ids]);
    $('.answer', card).textContent = a.text;
    const closed = a.ids[a.ids.length - 1] === l.vocab.maskId;
    const verdict = gold === undefined ? '' : a.text === gold ? ' ✓' : ` ✗ (${gold})`;
    $('.verdict', card).textContent = verdict + (closed ? '' : ' (no closing ⁇)');
    card.classList.toggle('right', gold !== undefined && a.text === gold);
    card.classList.toggle('wrong', gold !== undefined && a.text !== gold);
    a.columns = this.mapSequence(l, a).map((id) => l.vocab.chars[id]);
    a.finished = true;
    card.dataset.done = 'true';
    card.dataset.answer = a.text;
  }

  /** What the attention maps are computed over: the prompt and the answer but its last id, within the window. */
  private mapSequence(l: Loaded, a: Answer): number[] {
    return [...a.prompt, ...a.ids.slice(0, -1)].slice(0, l.model.config.blockSize);
  }

  /** The attention rows of the writing positions: the last prompt position (the ⁇) and each generated one but the last. */
  private mapsOf(l: Loaded, a: Answer): number[][][][] | undefined {
    if (!a.finished) return undefined;
    if (!a.maps) {
      const seq = this.mapSequence(l, a);
      const first = a.prompt.length - 1;
      const rows = Math.max(0, Math.min(a.ids.length, seq.length - first));
      a.maps = l.model.attentionMaps(seq).map((layer) => layer.map((head) => head.slice(first, first + rows)));
    }
    return a.maps;
  }

  private showRecall(l: Loaded, card: HTMLElement, devIndex: number): void {
    const box = $('.recall', card);
    box.replaceChildren();
    const r = l.info.recall?.byDev[devIndex];
    if (!l.info.pretrain) {
      box.append(el('p', { class: 'muted' }, 'No pretraining: nothing stored to recall.'));
      return;
    }
    if (!r) {
      box.append(el('p', { class: 'muted' }, devIndex < 0 ? 'Ask a dev question to see what the pretrained model recalls.' : "This person's line does not spell the answer within the window the pretrained model saw: not probed."));
      return;
    }
    const place = `“${this.data.dev[devIndex].answer}”`;
    box.append(el('p', {}, el('span', { class: 'label' }, 'Stored? '), 'Before finetuning, from the start of the line, the pretrained model continued ',
      el('q', { class: 'prefix' }, r.prefix.length > 60 ? '…' + r.prefix.slice(-60) : r.prefix),
      ' with ', el('q', { class: 'continuation' }, r.continuation),
      // The probe's rule, said where its verdict is read: a continuation that reaches the place only after mask
      // characters (span corruption's marker) does not count.
      r.recalled ? ` ✓ recalled (it starts with ${place})` : ` ✗ not recalled (it does not start with ${place})`));
  }

  /**
   * Draws the attention of one model: a thumbnail per layer and head, and the chosen head large. Labels count
   * layers and heads from 1, as notebook 7's figures do; data-layer and data-head keep the model's indices.
   */
  private showAttention(sel: { row?: string; layer?: number; head?: number }): void {
    this.view = { row: sel.row ?? (this.view.row || this.data.models[this.data.models.length - 1].row), layer: sel.layer ?? this.view.layer, head: sel.head ?? this.view.head };
    const l = this.loaded.find((x) => x.info.row === this.view.row);
    const a = this.answers.get(this.view.row);
    const maps = l && a && this.mapsOf(l, a);
    if (!l || !a || !maps) return;
    const { nLayer, nHead } = l.model.config;
    this.view.layer = Math.min(this.view.layer, nLayer - 1);
    this.view.head = Math.min(this.view.head, nHead - 1);
    document.querySelectorAll('#attention-models button').forEach((b) => b.classList.toggle('on', (b as HTMLElement).dataset.row === this.view.row));
    const heatmap = (layer: number, head: number): Heatmap => ({
      weights: maps[layer][head],
      rowLabels: a.steps.slice(0, maps[layer][head].length).map((s) => s.ch),
      colLabels: a.columns,
      promptLength: a.prompt.length,
    });
    const grid = $('#heads');
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `auto repeat(${nHead}, auto)`;
    grid.append(el('span'));
    for (let h = 0; h < nHead; h++) grid.append(el('span', { class: 'axis' }, `head ${h + 1}`));
    for (let layer = 0; layer < nLayer; layer++) {
      grid.append(el('span', { class: 'axis' }, `layer ${layer + 1}`));
      for (let h = 0; h < nHead; h++) {
        const c = el('canvas', { class: 'thumb', title: `layer ${layer + 1}, head ${h + 1}`, 'data-layer': String(layer), 'data-head': String(h) });
        if (layer === this.view.layer && h === this.view.head) c.classList.add('on');
        // Thumbnails about 100 pixels wide, whatever the length of the question.
        drawHeatmap(c, heatmap(layer, h), Math.max(1, Math.min(3, Math.floor(100 / a.columns.length))), false);
        c.addEventListener('click', () => this.showAttention({ layer, head: h }));
        grid.append(c);
      }
    }
    const big = $('#big') as HTMLCanvasElement;
    const h = heatmap(this.view.layer, this.view.head);
    const cell = 16;
    drawHeatmap(big, h, cell, true);
    big.dataset.weights = JSON.stringify(h.weights);
    big.dataset.model = l.info.row;
    big.dataset.layer = String(this.view.layer);
    big.dataset.head = String(this.view.head);
    $('#big-title').textContent = `${l.info.label}, layer ${this.view.layer + 1}, head ${this.view.head + 1}: each row is the position that wrote that character, each column a character it could see (the prompt left of the line).`;
    big.onmousemove = (e) => {
      const at = cellAt(big, h, cell, e);
      $('#hover').textContent = at ? `writing ${JSON.stringify(h.rowLabels[at.row])}, it gives ${pct(h.weights[at.row][at.col], 2)} of its attention to ${JSON.stringify(h.colLabels[at.col])} (position ${at.col})` : '';
    };
  }
}

async function main(): Promise<void> {
  const g = askGlobal();
  if (!g.data) throw new Error('models.js did not load: the page has no models');
  const page = new AskPage(g.data);
  (g as unknown as { page: AskPage }).page = page;
  try {
    await page.start();
  } catch (e) {
    const s = document.getElementById('status')!;
    s.textContent = `The page could not start: ${(e as Error).message}`;
    s.classList.add('error');
    document.body.dataset.failed = 'true';
    throw e;
  }
}

askGlobal();
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void main());
else void main();
