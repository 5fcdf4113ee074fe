/**
 * Where the training data comes from: the real birthplace corpus when it is present, else a synthetic world.
 *
 * The real files (wiki.txt, birth_places_train.tsv, birth_dev.tsv, optionally birth_test_inputs.tsv) are
 * never part of the project. They are looked for, in order:
 *   1. the directory named by the environment variable MINGPT_DATA_DIR;
 *   2. `data/birthplaces/` in the project (git-ignored).
 * data/README.md says where to get them. With `corpus: 'auto'` (the default) a missing real corpus falls back
 * to the synthetic world generated from a seed, except when MINGPT_DATA_DIR is set to a directory without the
 * files (a typo should not silently switch corpora); `corpus: 'real'` stops with an error saying where it looked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from './errors';
import { countTextLines, readTextFile } from './text';
import { Question, QA, readQaTsv, readQuestions } from './tsv';
import { CORPUS_FILES, describeWorld, generateWorld, WorldOptions } from './synthetic_world';

export interface Corpus {
  source: 'real' | 'synthetic';
  /** Directory the real files were read from. */
  dir?: string;
  /** The pretraining text, one document per line. */
  pretrainText: string;
  train: QA[];
  dev: QA[];
  testQuestions?: Question[];
  files?: { wiki: string; train: string; dev: string; test?: string };
  /** One line saying what this is, for logs and notebooks. */
  description: string;
  /** The options of a generated synthetic world (all of them, defaults filled in), so a run can be reproduced. */
  world?: WorldOptions;
}

export type CorpusChoice = 'auto' | 'real' | 'synthetic';

export interface LoadCorpusOptions {
  corpus?: CorpusChoice;
  /** Read the real corpus from here instead of searching (a missing file is then an error, also with 'auto'). */
  dataDir?: string;
  /** Options of the synthetic world. */
  world?: Partial<WorldOptions>;
}

const REQUIRED = [CORPUS_FILES.wiki, CORPUS_FILES.train, CORPUS_FILES.dev];

/** The project root: the nearest folder above this file holding package.json (else the working directory). */
export function projectRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'lib', 'data'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/** The required corpus files missing from `dir` (all of them when it is not a directory). */
export function missingCorpusFiles(dir: string): string[] {
  return REQUIRED.filter((f) => !fs.existsSync(path.join(dir, f)));
}

/** The places searched for the real corpus, in order. */
export function dataDirCandidates(): { dir: string; via: 'MINGPT_DATA_DIR' | 'data/birthplaces' }[] {
  const out: { dir: string; via: 'MINGPT_DATA_DIR' | 'data/birthplaces' }[] = [];
  const env = process.env.MINGPT_DATA_DIR;
  if (env !== undefined && env.trim() !== '') out.push({ dir: path.resolve(env.trim()), via: 'MINGPT_DATA_DIR' });
  out.push({ dir: path.join(projectRoot(), 'data', 'birthplaces'), via: 'data/birthplaces' });
  return out;
}

/** The first candidate directory holding all required files, or undefined. */
export function resolveDataDir(): { dir: string; via: 'MINGPT_DATA_DIR' | 'data/birthplaces' } | undefined {
  return dataDirCandidates().find((c) => missingCorpusFiles(c.dir).length === 0);
}

function notFoundMessage(explicitDir?: string): string {
  const looked = explicitDir !== undefined ? [{ dir: path.resolve(explicitDir), via: 'dataDir option' }] : dataDirCandidates();
  const lines = looked.map((c) => `  ${c.dir} (${c.via}): missing ${missingCorpusFiles(c.dir).join(', ')}`);
  if (explicitDir === undefined && !looked.some((c) => c.via === 'MINGPT_DATA_DIR')) lines.push('  (MINGPT_DATA_DIR is not set)');
  return `the real birthplace corpus was not found. Looked in:\n${lines.join('\n')}\nSee data/README.md for where the files come from and where to put them.`;
}

/** Read the corpus files from a directory (the real corpus, or a world saved by `writeWorld`). */
export function readRealCorpus(dir: string, via = 'dataDir'): Corpus {
  const missing = missingCorpusFiles(dir);
  if (missing.length > 0) throw new DataError(notFoundMessage(dir));
  const files: { wiki: string; train: string; dev: string; test?: string } = {
    wiki: path.join(dir, CORPUS_FILES.wiki),
    train: path.join(dir, CORPUS_FILES.train),
    dev: path.join(dir, CORPUS_FILES.dev),
  };
  const testFile = path.join(dir, CORPUS_FILES.test);
  if (fs.existsSync(testFile)) files.test = testFile;
  const pretrainText = readTextFile(files.wiki);
  const train = readQaTsv(files.train);
  const dev = readQaTsv(files.dev);
  const testQuestions = files.test !== undefined ? readQuestions(files.test) : undefined;
  const docs = countTextLines(pretrainText);
  // A synthetic world saved by writeWorld carries its world.json: it is read like the real files but labelled.
  const source = fs.existsSync(path.join(dir, 'world.json')) ? 'synthetic' : 'real';
  const description =
    `${source === 'real' ? 'real birthplace corpus' : 'synthetic world (world.json)'} from ${dir} (via ${via}): ` +
    `${docs} lines, ${pretrainText.length} characters; ` +
    `${train.length} train / ${dev.length} dev pairs${testQuestions ? `, ${testQuestions.length} test questions` : ''}`;
  return { source, dir, pretrainText, train, dev, testQuestions, files, description };
}

/**
 * The corpus the training notebooks (5 to 7) use: the environment variable WORKBOOK_CORPUS ('synthetic',
 * 'real' or 'auto'), by default the synthetic world, even where the real corpus is present. At the `smoke`
 * scale the world shows pretraining at work in minutes; a model that small learns next to nothing from the
 * real corpus in that time (its lesson takes hours there: notebook 8 shows recorded runs).
 */
export function notebookCorpusChoice(env: Readonly<Record<string, string | undefined>> = process.env): CorpusChoice {
  const v = (env.WORKBOOK_CORPUS ?? '').trim();
  if (v === '') return 'synthetic';
  if (v === 'synthetic' || v === 'real' || v === 'auto') return v;
  throw new DataError(`WORKBOOK_CORPUS must be synthetic, real or auto, got ${JSON.stringify(v)}`);
}

/** The corpus to train on (see the module comment for how 'auto', 'real' and 'synthetic' choose). */
export function loadCorpus(opts: LoadCorpusOptions = {}): Corpus {
  const choice = opts.corpus ?? 'auto';
  if (choice !== 'auto' && choice !== 'real' && choice !== 'synthetic') {
    throw new DataError(`loadCorpus: corpus must be 'auto', 'real' or 'synthetic', got ${JSON.stringify(choice)}`);
  }
  if (choice !== 'synthetic') {
    if (opts.dataDir !== undefined) return readRealCorpus(path.resolve(opts.dataDir), 'dataDir option');
    const found = resolveDataDir();
    if (found !== undefined) return readRealCorpus(found.dir, found.via);
    if (choice === 'real') throw new DataError(notFoundMessage());
    // A directory the user named explicitly but that lacks the files is a mistake, not a reason to fall back.
    const named = dataDirCandidates().find((c) => c.via === 'MINGPT_DATA_DIR');
    if (named !== undefined) {
      throw new DataError(
        `MINGPT_DATA_DIR is set to ${named.dir}, which lacks ${missingCorpusFiles(named.dir).join(', ')}; ` +
          'fix it, or unset it to train on the synthetic world (see data/README.md)',
      );
    }
  }
  const world = generateWorld(opts.world);
  return {
    source: 'synthetic', pretrainText: world.pretrainText, train: world.train, dev: world.dev,
    description: describeWorld(world), world: world.options,
  };
}
