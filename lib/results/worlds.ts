/**
 * One run of notebook 7 is one draw: of the world (who the people are, which of them are dev questions) and of the
 * training (first weights, batch order, corruption). Its standard errors count only the first kind of luck, the
 * draw of questions. `scripts/results.sh worlds` repeats the whole experiment on other worlds, world k drawn and
 * trained with seed k; this module reads those runs beside notebook 7's own (results/synthetic, world 0) and says
 * how far each row moves from world to world, and what the rows' averages show.
 *
 * Each world is an independent repetition of everything, so the spread of a row across worlds holds both kinds of
 * luck. The average over K worlds gets the standard error sd / sqrt(K) from that spread; with few worlds that
 * estimate is itself rough, so the standard error used is the larger of it and the question count's own,
 * sqrt(p (1 - p) / N) over all N questions. A gap between two rows is measured the same way, on the per-world
 * differences (both rows of a world answer the same questions).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TableRow } from './record';
import { loadResults } from './load';
import { ROW_LABELS, TABLE_ROWS, TableEntry, tableOf } from './pick';
import type { Figure, PlotlyTrace } from '../viz/index';
import { COLORS } from './figures';
import type { Section } from './format';

/** The four rows of one world, as its records give them. */
export interface WorldRun {
  /** The world's seed (world.json's options.seed); world 0 is notebook 7's. */
  world: number;
  /** The folder of its records. */
  dir: string;
  table: TableEntry[];
}

/** A row across worlds: its score in each, and their average with a standard error (see the module comment). */
export interface RowAcrossWorlds {
  row: TableRow;
  label: string;
  perWorld: { world: number; entry: TableEntry }[];
  /** The average accuracy over the worlds, in [0, 1]. */
  mean: number;
  se: number;
}

/** How far row `a` lies above row `b` across the worlds. */
export interface GapAcrossWorlds {
  a: TableRow;
  b: TableRow;
  /** Average of the per-world differences of accuracy (a - b). */
  mean: number;
  se: number;
  /** mean / se. */
  z: number;
  /** In how many worlds a scored above b. */
  above: number;
  worlds: number;
}

type Options = Record<string, unknown>;

function worldOptions(dir: string): Options | undefined {
  const file = path.join(dir, 'world.json');
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const options = (parsed as { options?: Options }).options;
  if (typeof options !== 'object' || options === null || typeof options.seed !== 'number') {
    throw new Error(`${file}: no "options" with a numeric "seed" (is it a world written by scripts/write_world.ts?)`);
  }
  return options;
}

/**
 * Notebook 7's world (`<dir>/synthetic`) and every world of `<dir>/worlds/*`, ordered by seed; worlds without four
 * rows are left out. Throws, naming the folder and the option, when a world differs from world 0 in anything but
 * its seed: the spread would then mix two experiments.
 */
export function loadWorldRuns(dir: string): WorldRun[] {
  const folders = [path.join(dir, 'synthetic')];
  const worldsDir = path.join(dir, 'worlds');
  if (fs.existsSync(worldsDir)) {
    for (const d of fs.readdirSync(worldsDir, { withFileTypes: true })) if (d.isDirectory()) folders.push(path.join(worldsDir, d.name));
  }
  const runs: WorldRun[] = [];
  let first: { dir: string; options: Options } | undefined;
  for (const folder of folders) {
    const options = worldOptions(folder);
    if (!options) continue;
    if (first) {
      for (const key of new Set([...Object.keys(first.options), ...Object.keys(options)])) {
        if (key === 'seed') continue;
        if (JSON.stringify(first.options[key]) !== JSON.stringify(options[key])) {
          throw new Error(`${path.join(folder, 'world.json')}: option "${key}" is ${JSON.stringify(options[key])}, but ${JSON.stringify(first.options[key])} in ${path.join(first.dir, 'world.json')}; the worlds must differ in their seed only`);
        }
      }
    } else {
      first = { dir: folder, options };
    }
    const table = tableOf(loadResults(folder), 'synthetic');
    if (table.length === TABLE_ROWS.length) runs.push({ world: options.seed as number, dir: folder, table });
  }
  const seeds = runs.map((r) => r.world);
  const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (twice !== undefined) throw new Error(`loadWorldRuns: world ${twice} appears twice under ${dir}`);
  return runs.sort((a, b) => a.world - b.world);
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
/** The sample standard deviation (n - 1). */
const sd = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

function entry(run: WorldRun, row: TableRow): TableEntry {
  return run.table.find((e) => e.row === row)!;
}

/** Each row's scores across the worlds and their average; needs two worlds or more. */
export function rowsAcrossWorlds(runs: readonly WorldRun[]): RowAcrossWorlds[] {
  if (runs.length < 2) throw new Error(`rowsAcrossWorlds: needs at least two worlds, got ${runs.length}`);
  return TABLE_ROWS.map((row) => {
    const perWorld = runs.map((r) => ({ world: r.world, entry: entry(r, row) }));
    const acc = perWorld.map((p) => p.entry.score.accuracy);
    const m = mean(acc);
    const questions = perWorld.reduce((s, p) => s + p.entry.score.total, 0);
    const se = Math.max(sd(acc) / Math.sqrt(acc.length), Math.sqrt((m * (1 - m)) / questions));
    return { row, label: ROW_LABELS[row], perWorld, mean: m, se };
  });
}

/** How far row a lies above row b across the worlds, from the per-world differences; needs two worlds or more. */
export function gapAcrossWorlds(runs: readonly WorldRun[], a: TableRow, b: TableRow): GapAcrossWorlds {
  if (runs.length < 2) throw new Error(`gapAcrossWorlds: needs at least two worlds, got ${runs.length}`);
  const d = runs.map((r) => entry(r, a).score.accuracy - entry(r, b).score.accuracy);
  const [pa, pb] = [a, b].map((row) => mean(runs.map((r) => entry(r, row).score.accuracy)));
  const questions = runs.reduce((s, r) => s + entry(r, a).score.total, 0);
  const byCount = Math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / questions);
  const se = Math.max(sd(d) / Math.sqrt(d.length), byCount);
  const m = mean(d);
  return { a, b, mean: m, se, z: se > 0 ? m / se : 0, above: d.filter((x) => x > 0).length, worlds: runs.length };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const WORLD0 = '#08306b';

/** Each row's score in every world (world 0, notebook 7's, dark), and the rows' averages with their standard errors. */
export function worldsFigure(rows: readonly RowAcrossWorlds[]): Figure {
  const k = rows[0]?.perWorld.length ?? 0;
  const offset = (j: number): number => (j - (k - 1) / 2) * 0.06;
  const data: PlotlyTrace[] = [];
  const worlds = rows[0]?.perWorld.map((p) => p.world) ?? [];
  const dots = (j: number): PlotlyTrace => ({
    type: 'scatter', mode: 'markers', name: worlds[j] === 0 ? "world 0 (this notebook's run)" : 'other worlds',
    showlegend: worlds[j] === 0 || j === worlds.findIndex((w) => w !== 0),
    x: rows.map((_, i) => i + offset(j)), y: rows.map((r) => 100 * r.perWorld[j].entry.score.accuracy),
    marker: { color: worlds[j] === 0 ? WORLD0 : COLORS.reference, size: worlds[j] === 0 ? 10 : 8, symbol: 'circle' },
    hovertext: rows.map((r) => {
      const e = r.perWorld[j].entry;
      return `world ${worlds[j]}: ${pct(e.score.accuracy)} (${e.score.correct}/${e.score.total}); record ${e.evaluation.id}`;
    }),
  });
  for (let j = 0; j < k; j++) data.push(dots(j));
  const top = 5 * Math.ceil((100 * Math.max(...rows.flatMap((r) => [...r.perWorld.map((p) => p.entry.score.accuracy), r.mean + r.se])) + 3) / 5);
  data.push({
    type: 'scatter', mode: 'markers', name: `average of ${k} worlds, ± one standard error`,
    x: rows.map((_, i) => i + 0.3), y: rows.map((r) => 100 * r.mean),
    marker: { color: COLORS.course, size: 14, symbol: 'line-ew-open', line: { color: COLORS.course, width: 3 } },
    error_y: { type: 'data', array: rows.map((r) => 100 * r.se), color: COLORS.course, thickness: 1.5, width: 6 },
    hovertext: rows.map((r) => `average ${pct(r.mean)} ± ${(100 * r.se).toFixed(1)}`),
  });
  return {
    data,
    layout: {
      height: 380, showlegend: true, margin: { t: 30, r: 20, b: 60 },
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' },
      xaxis: { tickvals: rows.map((_, i) => i), ticktext: rows.map((r) => r.label), automargin: true, range: [-0.5, rows.length - 0.3] },
      yaxis: { title: 'dev accuracy (%)', range: [0, top] },
    },
  };
}

/** "7.4 points above, 6.1 standard errors; above in 5 of 5 worlds". */
function gapWords(g: GapAcrossWorlds): string {
  const z = Math.abs(g.z).toFixed(1);
  return `${(100 * Math.abs(g.mean)).toFixed(1)} points ${g.mean >= 0 ? 'above' : 'below'}, ${z} standard errors; above in ${g.above} of ${g.worlds} worlds`;
}

/**
 * The rows across worlds as a figure and its sentences: how far one run moves, and whether the averages bear out
 * "pretraining lifts vanilla above no pretraining and above London" and "RoPE does at least as well as vanilla".
 * With fewer than two worlds recorded, the section says so and shows nothing else.
 */
export function worldsSection(runs: readonly WorldRun[], severalSe = 3): Section {
  if (runs.length < 2) {
    return { findings: [`Only ${runs.length} world${runs.length === 1 ? ' is' : 's are'} recorded; \`scripts/results.sh worlds\` records more.`] };
  }
  const rows = rowsAcrossWorlds(runs);
  const byRow = new Map(rows.map((r) => [r.row, r]));
  const questions = runs.reduce((s, r) => s + r.table[0].score.total, 0);
  const range = (row: TableRow): string => {
    const acc = byRow.get(row)!.perWorld.map((p) => p.entry.score.accuracy);
    return `${pct(Math.min(...acc))} to ${pct(Math.max(...acc))}`;
  };
  const avg = (row: TableRow): string => `${pct(byRow.get(row)!.mean)} ± ${(100 * byRow.get(row)!.se).toFixed(1)}`;
  const verdict = (g: GapAcrossWorlds, claim: string): string =>
    g.z >= severalSe ? `${claim}, by several standard errors` : g.z >= 2 ? `${claim}, but by fewer than ${severalSe} standard errors`
      : `The worlds do not bear out that ${claim.replace(/^\w/, (c) => c.toLowerCase())}`;
  const lift = gapAcrossWorlds(runs, 'vanilla-pretrain', 'vanilla-nopretrain');
  const overLondon = gapAcrossWorlds(runs, 'vanilla-pretrain', 'london');
  const ropeLift = gapAcrossWorlds(runs, 'rope-pretrain', 'vanilla-nopretrain');
  const ropeOverLondon = gapAcrossWorlds(runs, 'rope-pretrain', 'london');
  const ropeVsVanilla = gapAcrossWorlds(runs, 'rope-pretrain', 'vanilla-pretrain');
  const findings = [
    `${runs.length} worlds, ${questions} dev questions in all. One run moves: pretrained vanilla scored from ${range('vanilla-pretrain')}, ` +
      `RoPE from ${range('rope-pretrain')}, without pretraining from ${range('vanilla-nopretrain')}.`,
    `Averages: London ${avg('london')}, no pretraining ${avg('vanilla-nopretrain')}, pretrained vanilla ${avg('vanilla-pretrain')}, RoPE ${avg('rope-pretrain')}.`,
    `${verdict(lift, 'Pretraining lifts vanilla above no pretraining')}: ${gapWords(lift)}.`,
    `${verdict(overLondon, 'Pretrained vanilla beats the London baseline')}: ${gapWords(overLondon)}.`,
    `${verdict(ropeLift, 'Pretraining lifts RoPE above no pretraining')}: ${gapWords(ropeLift)}.`,
    `${verdict(ropeOverLondon, 'Pretrained RoPE beats the London baseline')}: ${gapWords(ropeOverLondon)}.`,
    ropeVsVanilla.mean >= 0
      ? `RoPE does at least as well as vanilla on average: ${gapWords(ropeVsVanilla)}.`
      : `RoPE falls short of vanilla on average: ${gapWords(ropeVsVanilla)}.`,
  ];
  return { figure: worldsFigure(rows), findings };
}
