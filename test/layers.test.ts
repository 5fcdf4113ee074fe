/**
 * The folders of lib/ are layers, and imports point down (or stay level), never up:
 *
 *   0  util, backend                 numbers, files, the tfjs backend and its fast ops
 *   1  data, positional, attention   the course's parts that need no model
 *   2  mingpt                        the model, its training and checkpoints
 *   3  eval                          what a trained model answers
 *   4  results, viz                  records of runs and what the notebooks show
 *   5  cli                           the mingpt command
 *   6  scripts/, bench/              tools that use all of it
 *
 * So a student reading lib/mingpt never needs lib/results, and the CLI can be replaced without touching the
 * model. Every relative import, export ... from and require() of every .ts file is checked.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');

export const LAYERS: Readonly<Record<string, number>> = {
  'lib/util': 0, 'lib/backend': 0,
  'lib/data': 1, 'lib/positional': 1, 'lib/attention': 1,
  'lib/mingpt': 2,
  'lib/eval': 3,
  'lib/results': 4, 'lib/viz': 4,
  'lib/cli': 5,
  scripts: 6, bench: 6,
};

/** The layer folder a path (relative to the root, '/'-separated) belongs to, or undefined outside them. */
function layerOf(rel: string): string | undefined {
  return Object.keys(LAYERS).find((dir) => rel === dir || rel.startsWith(dir + '/'));
}

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === 'node_modules' ? [] : tsFiles(p)) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every import of a file of `dirs` (under `root`) that reaches a higher layer, or a folder with no layer. */
export function layerViolations(root: string, dirs: readonly string[] = Object.keys(LAYERS)): string[] {
  const problems: string[] = [];
  for (const dir of dirs) {
    for (const file of tsFiles(path.join(root, dir))) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      const from = layerOf(rel)!;
      const imports = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
      for (const spec of imports.filter((s) => s.startsWith('.'))) {
        const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
        const to = layerOf(target);
        if (to === undefined) {
          if (target.startsWith('lib/')) problems.push(`${rel} imports '${spec}': ${target} is in no layer (add its folder to LAYERS)`);
        } else if (LAYERS[to] > LAYERS[from]) {
          problems.push(`${rel} imports '${spec}': ${to} (layer ${LAYERS[to]}) is above ${from} (layer ${LAYERS[from]})`);
        }
      }
    }
  }
  return problems;
}

describe('layers: imports point down', () => {
  it('every folder of lib/ has a layer', () => {
    const folders = fs.readdirSync(path.join(ROOT, 'lib'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `lib/${e.name}`);
    assert.deepEqual(folders.filter((f) => LAYERS[f] === undefined), []);
  });

  it('no file of lib/, scripts/ or bench/ imports from a higher layer', () => {
    assert.deepEqual(layerViolations(ROOT), []);
  });

  it('finds an upward import and names the file and the import', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    try {
      for (const [file, text] of [
        ['lib/mingpt/model.ts', "import { record } from '../results/record';\nexport const m = 1;\n"],
        ['lib/results/record.ts', "import type { m } from '../mingpt/model';\nexport const record = require('../cli/main');\n"],
        ['lib/data/ok.ts', "import { x } from '../util/random';\nexport * from './other';\n"],
      ]) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
      }
      assert.deepEqual(layerViolations(root), [
        "lib/mingpt/model.ts imports '../results/record': lib/results (layer 4) is above lib/mingpt (layer 2)",
        "lib/results/record.ts imports '../cli/main': lib/cli (layer 5) is above lib/results (layer 4)",
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
