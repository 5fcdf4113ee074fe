/**
 * Text that cannot drift from its output: scores with standard errors (lib/eval/score.ts), the score tables that
 * carry their numbers (lib/viz/scores.ts), and the checks the build runs on executed notebooks
 * (scripts/site/claims.ts): a claim of the prose that the numbers stop bearing out, a claim the prose no longer
 * makes, and numbers that drift from the recorded rows all fail.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatGap, formatScore, scoreOf, seOfDifference, standardErrorsApart } from '../lib/eval/score';
import { answerCounts, londonSentence } from '../lib/eval/london';
import { comparisonSentences, pretrainingFindings, readScoreTables, scoreChart, scoreTableHtml } from '../lib/viz/scores';
import { CLAIMS, Claim, above, claimProblems, executedOutputs, figureHeatmap, figureLine, need, notAbove, notebookScores, printed, printedAll, recordProblems, within } from '../scripts/site/claims';
import { Figure, heatmap, linePlot, normalizeFigure, sideBySide } from '../lib/viz/index';
import { Notebook, toLines } from '../scripts/site/notebook';

describe('scores with standard errors', () => {
  it('se = sqrt(p(1-p)/n), the difference\'s se adds in quadrature, gaps in standard errors', () => {
    const a = scoreOf(90, 200); // p = 0.45: se = sqrt(0.45 * 0.55 / 200) = 0.035178
    assert.equal(a.accuracy, 0.45);
    assert.ok(Math.abs(a.se - 0.0351781) < 1e-6);
    const b = scoreOf(10, 200); // p = 0.05: se = sqrt(0.05 * 0.95 / 200) = 0.015411
    assert.ok(Math.abs(b.se - 0.0154110) < 1e-6);
    assert.ok(Math.abs(seOfDifference(a, b) - 0.0384056) < 1e-6);
    assert.ok(Math.abs(standardErrorsApart(a, b) - 0.4 / 0.0384056) < 1e-4); // 10.4
    assert.ok(Math.abs(standardErrorsApart(b, a) + 0.4 / 0.0384056) < 1e-4);
    assert.equal(formatScore(a), '45.0% ± 3.5');
    assert.equal(formatGap(a, b), '10.4 standard errors above');
    assert.equal(formatGap(b, a), '10.4 standard errors below');
    assert.equal(formatGap(a, a), 'level with');
    assert.equal(standardErrorsApart(scoreOf(0, 10), scoreOf(0, 20)), 0);
    assert.equal(standardErrorsApart(scoreOf(10, 10), scoreOf(0, 20)), Infinity);
    assert.deepEqual(scoreOf(0, 0), { correct: 0, total: 0, accuracy: 0, se: 0 });
    assert.throws(() => scoreOf(5, 4), /correct must be an integer in \[0, 4\], got 5/);
    assert.throws(() => scoreOf(1, 2.5), /total must be a non-negative integer, got 2.5/);
  });

  it('a score table carries its counts, read back exactly, quotes and all', () => {
    const rows = [
      { key: 'london', label: 'London "baseline" <dev>', score: scoreOf(10, 200) },
      { key: 'vanilla-pretrain', label: 'vanilla, pretrained', score: scoreOf(90, 200) },
    ];
    const html = scoreTableHtml(rows, 'dev accuracy & more');
    assert.match(html, /London "baseline" &lt;dev&gt;/);
    assert.match(html, /<td style="text-align:right">45\.0% ± 3\.5<\/td>/);
    assert.deepEqual(readScoreTables(`<p>before</p>${html}<div>${html}</div>`), [
      { london: { correct: 10, total: 200 }, 'vanilla-pretrain': { correct: 90, total: 200 } },
      { london: { correct: 10, total: 200 }, 'vanilla-pretrain': { correct: 90, total: 200 } },
    ]);
    assert.throws(() => scoreTableHtml([rows[0], rows[0]], 'x'), /the key "london" is used twice/);
    assert.deepEqual(comparisonSentences(rows, [['vanilla-pretrain', 'london']]),
      ['vanilla, pretrained: 45.0% ± 3.5, 10.4 standard errors above London "baseline" <dev> (5.0% ± 1.5).']);
    assert.throws(() => comparisonSentences(rows, [['rope-pretrain', 'london']]), /no row "rope-pretrain"/);
    const bars = scoreChart(rows, 't').data[0] as unknown as { x: string[]; y: number[]; text?: string[]; error_y: { array: number[] } };
    assert.deepEqual(bars.y, [5, 45]);
    assert.deepEqual(bars.x, ['London "baseline" <dev><br>5.0% ± 1.5', 'vanilla, pretrained<br>45.0% ± 3.5'], 'each value under its bar');
    assert.equal(bars.text, undefined, 'no label on the bar for the whisker to cross');
    assert.ok(Math.abs(bars.error_y.array[1] - 3.51781) < 1e-4);
  });

  it('the London sentence is computed from the counts: leading, tied, or beaten', () => {
    const qa = (answer: string) => ({ question: 'Where was X born?', answer, line: 1 });
    const lead = [...Array(3)].map(() => qa('London')).concat([qa('Paris'), qa('Paris'), qa('Rome'), qa('Rome'), qa('Lima')]);
    assert.deepEqual(answerCounts(lead).map((c) => `${c.answer}:${c.count}`), ['London:3', 'Paris:2', 'Rome:2', 'Lima:1']);
    assert.equal(londonSentence(lead), 'London is the most frequent answer, 3 of 8 (37.5%), so always answering London is the best constant answer; next come Paris and Rome with 2 each.');
    assert.equal(londonSentence([qa('London'), qa('Oslo')]), 'London shares the first place with Oslo: 1 of 2 each (50.0%).');
    assert.equal(londonSentence([qa('London'), qa('Oslo'), qa('Oslo')]), 'London is not the most frequent answer: Oslo has 2 of 3 (66.7%), London 1 (33.3%).');
  });
});

/** An executed notebook with one markdown cell of `prose` and one output holding a score table of `counts`. */
function executed(prose: string, counts: Record<string, [number, number]>): Notebook {
  const rows = Object.entries(counts).map(([key, [c, n]]) => ({ key, label: key, score: scoreOf(c, n) }));
  return {
    cells: [
      { cell_type: 'markdown', id: 'm', metadata: {}, source: toLines(prose) },
      {
        cell_type: 'code', id: 'c', metadata: {}, source: [], execution_count: 1,
        outputs: [{ output_type: 'display_data', metadata: {}, data: { 'text/html': toLines(scoreTableHtml(rows, 'dev')) } }],
      },
    ],
    metadata: { kernelspec: { name: 'workbook-tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe("notebook 7's findings, computed from its rows", () => {
  const rows = (counts: Record<string, number>) => Object.entries(counts).map(([key, c]) => ({ key, label: key, score: scoreOf(c, 200) }));
  const base = { london: 10, 'vanilla-nopretrain': 6, 'vanilla-pretrain': 60, 'rope-pretrain': 70 };

  it('say "far above" only at several standard errors, and what the numbers show otherwise', () => {
    const [scratch, london, noPretraining, rope, ropeLift] = pretrainingFindings(rows(base));
    // 30.0% ± 3.2 against 3.0% ± 1.2: 0.27 / hypot(0.0324, 0.0121) = 7.8 standard errors.
    assert.equal(scratch, 'Pretraining lifts the vanilla model far above the same model finetuned without pretraining: 30.0% ± 3.2 against 3.0% ± 1.2, 7.8 standard errors above.');
    assert.match(london, /^Pretraining lifts the vanilla model far above the London baseline: 30\.0% ± 3\.2 against 5\.0% ± 1\.5, 7\.0 standard errors above\.$/);
    assert.match(noPretraining, /^Without pretraining the model does no better than always answering London: 3\.0% ± 1\.2 against 5\.0% ± 1\.5, 1\.0 standard error below\.$/);
    assert.match(rope, /^RoPE does at least as well as vanilla: 35\.0% ± 3\.4 against 30\.0% ± 3\.2/);
    // 35.0% ± 3.4 against 3.0% ± 1.2: 0.32 / hypot(0.03373, 0.01206) = 0.32 / 0.03582 = 8.9 standard errors.
    assert.equal(ropeLift, 'Pretraining lifts the RoPE model far above the vanilla model finetuned without pretraining: 35.0% ± 3.4 against 3.0% ± 1.2, 8.9 standard errors above.');
    assert.match(pretrainingFindings(rows({ ...base, 'rope-pretrain': 13 }))[4], /^In this run pretraining does not lift the RoPE model clearly above the vanilla model finetuned without pretraining: 6\.5% ± 1\.7 against 3\.0% ± 1\.2/);
    // 8.0% against 3.0%: 0.05 / hypot(0.0192, 0.0121) = 2.2 standard errors, above but not far above.
    assert.match(pretrainingFindings(rows({ ...base, 'vanilla-pretrain': 16 }))[0], /^Pretraining lifts the vanilla model above the same model .* but by fewer than 3 standard errors: 8\.0% ± 1\.9 against 3\.0% ± 1\.2, 2\.2 standard errors above\.$/);
    assert.match(pretrainingFindings(rows({ ...base, 'vanilla-pretrain': 11 }))[1], /^In this run pretraining does not lift the vanilla model clearly above the London baseline/);
    assert.match(pretrainingFindings(rows({ ...base, 'vanilla-nopretrain': 30 }))[2], /^Without pretraining the model does better than always answering London/);
    assert.match(pretrainingFindings(rows({ ...base, 'rope-pretrain': 55 }))[3], /^RoPE falls a little short of vanilla, within two standard errors: 27\.5% ± 3\.2 against 30\.0% ± 3\.2/);
    assert.match(pretrainingFindings(rows({ ...base, 'rope-pretrain': 30 }))[3], /^RoPE does worse than vanilla in this run/);
    // 45.0% ± 3.5 against 30.0% ± 3.2: 0.15 / hypot(0.03518, 0.03240) = 0.15 / 0.04783 = 3.1 standard errors.
    assert.match(pretrainingFindings(rows({ ...base, 'rope-pretrain': 90 }))[3], /^RoPE does far better than vanilla: 45\.0% ± 3\.5 against 30\.0% ± 3\.2, 3\.1 standard errors above\.$/);
    // 40.0% ± 3.5 against 30.0% ± 3.2: 0.10 / hypot(0.03464, 0.03240) = 0.10 / 0.04743 = 2.1 standard errors.
    assert.match(pretrainingFindings(rows({ ...base, 'rope-pretrain': 80 }))[3], /^RoPE does better than vanilla, but by fewer than 3 standard errors: 40\.0% ± 3\.5 against 30\.0% ± 3\.2, 2\.1 standard errors above\.$/);
    assert.throws(() => pretrainingFindings(rows({ london: 1 })), /pretrainingFindings: no row "vanilla-nopretrain" \(rows: london\)/);
  });
});

describe('claims of the notebooks, checked on their executed copies', () => {
  // Claims of the kind a notebook's prose makes, on a notebook "07" of a test.
  const claims07: Claim[] = [
    {
      notebook: '07',
      says: 'Pretraining lifts the vanilla model far above the same model finetuned without pretraining, and above the London baseline, by several standard errors each.',
      fails: (s) => above(s, 'vanilla-pretrain', 'vanilla-nopretrain') ?? above(s, 'vanilla-pretrain', 'london'),
    },
    {
      notebook: '07',
      says: 'RoPE does at least as well as vanilla.',
      fails: (s) => {
        const [rope, vanilla] = need(s, ['rope-pretrain', 'vanilla-pretrain']);
        return rope.correct >= vanilla.correct ? undefined : 'rope-pretrain is below vanilla-pretrain';
      },
    },
    { notebook: '07', says: 'Without pretraining the model does no better than always answering London.', fails: (s) => notAbove(s, 'vanilla-nopretrain', 'london') },
  ];
  // The prose wraps lines where it likes: the check reads it with line breaks as spaces.
  const prose07 = claims07.map((c) => c.says.replace(/ by /, '\nby ')).join(' ');
  const good = { london: [10, 200], 'vanilla-nopretrain': [8, 200], 'vanilla-pretrain': [90, 200], 'rope-pretrain': [120, 200] } as Record<string, [number, number]>;

  it('hold on numbers that bear them out', () => {
    assert.deepEqual(claimProblems('07-pretrain-finetune-rope.ipynb', executed(prose07, good), claims07), []);
    assert.deepEqual(Object.keys(notebookScores(executed(prose07, good))).sort(), Object.keys(good).sort());
  });

  it('fail, naming the claim and the numbers, when the run stops bearing them out', () => {
    const weak = claimProblems('07-x.ipynb', executed(prose07, { ...good, 'vanilla-pretrain': [18, 200] }), claims07);
    assert.equal(weak.length, 1);
    assert.match(weak[0], /"Pretraining lifts the vanilla model .*" does not hold: vanilla-pretrain 9\.0% ± 2\.0 is 2\.0 standard errors above vanilla-nopretrain 4\.0% ± 1\.4, not 3/);
    const ropeBehind = claimProblems('07-x.ipynb', executed(prose07, { ...good, 'rope-pretrain': [89, 200] }), claims07);
    assert.equal(ropeBehind.length, 1);
    assert.match(ropeBehind[0], /"RoPE does at least as well as vanilla\." does not hold/);
    const scratchGood = claimProblems('07-x.ipynb', executed(prose07, { ...good, 'vanilla-nopretrain': [30, 200] }), claims07);
    assert.ok(scratchGood.some((p) => /"Without pretraining the model does no better than always answering London\." does not hold/.test(p)), scratchGood.join('\n'));
  });

  it('fail when the prose no longer makes a listed claim, or the notebook shows no score for it', () => {
    const reworded = claimProblems('07-x.ipynb', executed(prose07.replace('RoPE does at least', 'RoPE does about'), good), claims07);
    assert.deepEqual(reworded, ['07-x.ipynb: the text no longer says "RoPE does at least as well as vanilla." (reword its check in scripts/site/claims.ts with it)']);
    const noRope: Record<string, [number, number]> = { ...good };
    delete noRope['rope-pretrain'];
    assert.match(claimProblems('07-x.ipynb', executed(prose07, noRope), claims07).join('\n'), /no score for rope-pretrain in the notebook's score tables/);
    const other: Claim = { notebook: '99', says: 'x', fails: () => 'never' };
    assert.deepEqual(claimProblems('07-x.ipynb', executed('x', good), [other]), [], 'claims of another notebook are not checked');
  });

  it('notebook 5: guesses for the dev people, remembered answers for the training people', () => {
    const [claim] = CLAIMS.filter((c) => c.notebook === '05');
    const ok = { london: [10, 200], 'vanilla-nopretrain': [9, 200], 'vanilla-nopretrain-train': [20, 20] } as Record<string, [number, number]>;
    assert.deepEqual(claimProblems('05-x.ipynb', executed(claim.says, ok)), []);
    assert.equal(claimProblems('05-x.ipynb', executed(claim.says, { ...ok, 'vanilla-nopretrain-train': [2, 20] })).length, 1);
  });

  it('the notebooks in git make every listed claim', () => {
    for (const c of CLAIMS) {
      const file = fs.readdirSync(path.join(__dirname, '..', 'notebooks')).find((f) => f.startsWith(c.notebook));
      assert.ok(file, `no notebook ${c.notebook}`);
      const nb = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'notebooks', file), 'utf8')) as Notebook;
      const prose = nb.cells.filter((x) => x.cell_type === 'markdown').map((x) => (Array.isArray(x.source) ? x.source.join('') : x.source)).join('\n').replace(/\s+/g, ' ');
      assert.ok(prose.includes(c.says), `${file} does not say "${c.says}"`);
    }
  });
});

/** An executed notebook with one markdown cell of `prose` and one code cell that printed `out` and drew `figures`. */
function printedNotebook(prose: string, out: string, figures: Figure[] = []): Notebook {
  return {
    cells: [
      { cell_type: 'markdown', id: 'm', metadata: {}, source: toLines(prose) },
      {
        cell_type: 'code', id: 'c', metadata: {}, source: [], execution_count: 1,
        outputs: [
          { output_type: 'stream', name: 'stdout', text: toLines(out) },
          { output_type: 'stream', name: 'stderr', text: ['share < 0.1 (c is nearly v_b): 0.999\n'] },
          ...figures.map((f) => ({ output_type: 'display_data' as const, metadata: {}, data: { 'application/vnd.plotly.v1+json': normalizeFigure(f), 'text/plain': 'plotly figure' } })),
        ],
      },
    ],
    metadata: { kernelspec: { name: 'workbook-tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

describe('claims on what a notebook printed and drew', () => {
  const figures = [
    linePlot([{ name: 'a', y: [3, 2, 1] }, { name: 'b', y: [0, 1, 2] }], { title: 'lines' }),
    sideBySide([heatmap([[1, 2]], { title: 'left' }), heatmap([[3, 4], [5, 6]], { title: 'right' })]),
  ];
  const out = executedOutputs(printedNotebook('', 'x = 1.5, y = 2e-7\nx = -3\n', figures));

  it('read the printed numbers (standard output only) and the figures\' data, or say what is missing', () => {
    assert.deepEqual(printed(out, /x = ([-\d.]+), y = ([-\d.e+]+)/), [1.5, 2e-7]);
    assert.deepEqual(printedAll(out, /x = ([-\d.]+)/), [1.5, -3]);
    assert.throws(() => printed(out, /z = (\d)/), /the notebook prints no line matching \/z = \(\\d\)\//);
    assert.throws(() => printed(out, /share < 0\.1/), /prints no line/, 'standard error does not count');
    assert.deepEqual(figureLine(out, 'lines', 'b'), [0, 1, 2]);
    assert.deepEqual(figureHeatmap(out, 'right'), [[3, 4], [5, 6]]);
    assert.deepEqual(figureHeatmap(out, 'left'), [[1, 2]]);
    assert.throws(() => figureLine(out, 'lines', 'c'), /the figure "lines" has no line "c"/);
    assert.throws(() => figureHeatmap(out, 'middle'), /the notebook shows no figure or panel titled "middle"/);
    assert.equal(within('x', 1, 0, 1), undefined);
    assert.equal(within('x', 1.5, 0, 1), 'x is 1.5, outside [0, 1]');
  });

  // For each listed claim on printed lines or figures: what the executed notebook shows (the numbers of a build),
  // and a change of those numbers that the sentence does not survive.
  const evenMix = (one: number[], two: number[]): Figure[] => [linePlot([{ name: 'one head', y: one }, { name: 'two heads', y: two }], { title: 'Draws within 0.05 of the even mix' })];
  const ropeBands = (z: number[][]): Figure[] => [sideBySide([heatmap([[1]], { title: 'identical tokens, no positions' }), heatmap(z, { title: 'identical tokens, with RoPE' })])];
  const gapLines = (without: string): string => ['the', 'cat', 'sat', 'on', 'mat'].map((w) => `${w.padEnd(4)} |z_A - z_B| without positions ${w === 'on' ? without : '1.8e-7'}, with positions 0.362`).join('\n');
  const toyTask = (none: string): string => `none       final loss 1.642, accuracy on fresh sequences ${none}%\nlearned    final loss 0.000, accuracy on fresh sequences 100.0%\nsinusoidal final loss 0.002, accuracy on fresh sequences 100.0%`;
  const cases: { notebook: string; starts: string; good: [string, Figure[]]; bad: [string, Figure[]]; why: RegExp }[] = [
    {
      notebook: '01', starts: 'The histogram has two spikes',
      good: ['share < 0.1 (c is nearly v_b): 0.464\nshare > 0.9 (c is nearly v_a): 0.461', []],
      bad: ['share < 0.1 (c is nearly v_b): 0.400\nshare > 0.9 (c is nearly v_a): 0.461', []],
      why: /the share of draws between 0\.1 and 0\.9 is 0\.139, outside \[0, 0\.1\]/,
    },
    {
      notebook: '02', starts: 'The single head splits',
      good: ['within 0.05 of an even mix: one head 0.006, two heads 0.895\ntwo heads, share < 0.1 (head 1 missed k_a): 0.080\npredicted by the derivation: P(gamma < 0) = 0.079', []],
      bad: ['within 0.05 of an even mix: one head 0.006, two heads 0.895\ntwo heads, share < 0.1 (head 1 missed k_a): 0.150\npredicted by the derivation: P(gamma < 0) = 0.079', []],
      why: /two heads' share of draws near 0 is 0\.15, outside \[0\.049, 0\.109\]/,
    },
    {
      notebook: '02', starts: 'As $\\beta$ grows',
      good: ['', evenMix([0.244, 0.126, 0.052, 0.022, 0.008, 0, 0], [0.436, 0.35, 0.698, 0.834, 0.888, 0.906, 0.916])],
      bad: ['', evenMix([0.244, 0.126, 0.052, 0.022, 0.008, 0, 0], [0.436, 0.35, 0.698, 0.834, 0.888, 0.7, 0.6])],
      why: /two heads' share at the largest beta is 0\.6, outside \[0\.85, 1\]/,
    },
    { notebook: '03', starts: 'Without positions the distances', good: [gapLines('4.0e-7'), []], bad: [gapLines('2.0e-3'), []], why: /the largest distance without positions is 0\.002, outside \[0, 0\.00001\]/ },
    { notebook: '03', starts: 'Without positions the loss stalls', good: [toyTask('35.6'), []], bad: [toyTask('97.0'), []], why: /the accuracy without positions \(%\) is 97, outside \[0, 60\]/ },
    {
      notebook: '04', starts: 'Not merely close',
      good: ['numbers: max difference over 500 (vector, position) pairs = 0.00e+0\ntensors (2, 4, 16, 32), float32: max difference = 0.00e+0', []],
      bad: ['numbers: max difference over 500 (vector, position) pairs = 0.00e+0\ntensors (2, 4, 16, 32), float32: max difference = 1.19e-7', []],
      why: /the largest difference on tensors is 1\.19e-7, outside \[0, 0\]/,
    },
    {
      notebook: '04', starts: 'the curves of the score',
      good: ['largest difference between the curves for m = 40 and m = 1000: 1.61e-13', []],
      bad: ['largest difference between the curves for m = 40 and m = 1000: 2.00e-2', []],
      why: /the largest difference between the curves is 0\.02/,
    },
    {
      notebook: '04', starts: 'With RoPE the weights fall into bands',
      good: ['', ropeBands([[0.5, 0.3, 0.2], [0.25, 0.5, 0.25], [0.2, 0.3, 0.5]])],
      bad: ['', ropeBands([[0.5, 0.3, 0.2], [0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])],
      why: /query 1 puts its largest weight on key 0, not on itself/,
    },
    {
      notebook: '06', starts: 'Each measured mean sits',
      good: ['40000 draws: mean L = 26.16, mean m = 6.42, mean m / mean L = 0.2455, mean of m/L = 0.2440\nover 52 lengths, the measured mean of m is at most 2.76 standard errors from (K + 1) / 2', []],
      bad: ['40000 draws: mean L = 26.16, mean m = 6.42, mean m / mean L = 0.2455, mean of m/L = 0.2440\nover 52 lengths, the measured mean of m is at most 6.10 standard errors from (K + 1) / 2', []],
      why: /predicted mean \(in standard errors\) is 6\.1, outside \[0, 4\]/,
    },
  ];

  for (const c of cases) {
    it(`notebook ${c.notebook}: "${c.starts}..." holds on the build's numbers and fails on others`, () => {
      const claim = CLAIMS.find((x) => x.notebook === c.notebook && x.says.startsWith(c.starts));
      assert.ok(claim, `no claim of notebook ${c.notebook} starting "${c.starts}"`);
      const name = `${c.notebook}-x.ipynb`;
      assert.deepEqual(claimProblems(name, printedNotebook(claim.says, ...c.good), [claim]), []);
      const problems = claimProblems(name, printedNotebook(claim.says, ...c.bad), [claim]);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0], c.why);
      assert.match(claimProblems(name, printedNotebook(claim.says, ''), [claim]).join('\n'), /does not hold: the notebook (prints no line|shows no figure)/);
    });
  }
});

describe('a notebook\'s scores against the recorded rows', () => {
  let root: string;
  const write = (r: { id: string }): void => fs.writeFileSync(path.join(root, 'results', 'synthetic', `${r.id}.json`), JSON.stringify(r));
  const rec = (id: string, row: string, correct: number, startedAt: string) => ({
    format: 'mingpt-run/2', id, verb: row === 'london' ? 'london' : 'evaluate', row, corpus: 'synthetic', seed: 0, backend: 'wasm',
    commit: null, startedAt, wallSeconds: 1, accuracy: correct / 200, correct, total: 200, files: {},
  });
  const shown = { london: [10, 200], 'vanilla-nopretrain': [8, 200], 'vanilla-pretrain': [90, 200], 'rope-pretrain': [120, 200] } as Record<string, [number, number]>;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-records-'));
    fs.mkdirSync(path.join(root, 'results', 'synthetic'), { recursive: true });
    write(rec('a', 'london', 10, '2026-01-01T00:00:00Z'));
    write(rec('b', 'vanilla-nopretrain', 8, '2026-01-01T00:00:00Z'));
    write(rec('c', 'vanilla-pretrain', 40, '2026-01-01T00:00:00Z')); // an older run of the row...
    write(rec('d', 'vanilla-pretrain', 93, '2026-01-02T00:00:00Z')); // ...and the latest, 3 answers apart
    write(rec('e', 'rope-pretrain', 120, '2026-01-02T00:00:00Z'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('agree within the tolerance, the latest record of each row counting', () => {
    assert.deepEqual(recordProblems('07-x.ipynb', executed('', shown), root, 'synthetic'), []);
    assert.match(recordProblems('07-x.ipynb', executed('', shown), root, 'synthetic', 2).join('\n'),
      /"vanilla-pretrain" is 90\/200 here but 93\/200 in results\/synthetic \(more than 2 answers apart/);
  });

  it('a row far from its record, or missing, fails; a run on the real corpus is not compared', () => {
    const problems = recordProblems('07-x.ipynb', executed('', { ...shown, 'rope-pretrain': [60, 200] }), root, 'synthetic');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /"rope-pretrain" is 60\/200 here but 120\/200/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'claims-none-'));
    fs.mkdirSync(path.join(empty, 'results', 'synthetic'), { recursive: true });
    assert.match(recordProblems('05-x.ipynb', executed('', shown), empty, 'synthetic').join('\n'), /no recorded synthetic row "london"/);
    assert.deepEqual(recordProblems('07-x.ipynb', executed('', { ...shown, 'rope-pretrain': [60, 200] }), root, 'real'), []);
  });
});
