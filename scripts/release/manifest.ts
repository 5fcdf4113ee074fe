/**
 * What grading needs to know of the reference workbook, read from its markers (scripts/release/solutions.ts): which
 * files under `lib/` a student writes (those holding solution regions), what each looks like untouched (its stub
 * version), and which graded tests are hidden. A release carries the same facts in `grading.json` instead, since its
 * markers are gone; scripts/grade.ts reads one or the other.
 */
import * as fs from 'fs';
import * as path from 'path';
import { declaredTests, GradingBase, MANIFEST_FORMAT, TestId } from '../grade';
import { functionsAround } from './guide';
import { stripSolutions } from './solutions';

function walk(root: string, dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return out;
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...walk(root, rel, keep));
    else if (entry.isFile() && keep(rel)) out.push(rel);
  }
  return out.sort();
}

/** The stub version of a lib file: its solution regions replaced as in the release. */
export function stubOfLibFile(source: string, file: string): string {
  return stripSolutions(source, 'code', file, { kinds: ['solution'], functionAt: functionsAround(source, file) }).text;
}

/** The graded tests inside hidden-test regions of a graded test file. */
export function hiddenTestsOf(source: string, file: string): TestId[] {
  const hidden = stripSolutions(source, 'code', file, { kinds: ['hidden'] }).regions;
  const lineOf = (index: number): number => source.slice(0, index).split('\n').length;
  return declaredTests(source)
    .filter((t) => hidden.some((r) => r.line <= lineOf(t.index) && lineOf(t.index) < r.line + r.lines))
    .map(({ part, title }) => ({ part, title }));
}

/** The grading facts of a reference workbook, from its markers. */
export function referenceManifest(root: string): Omit<GradingBase, 'root'> {
  const sources = new Map<string, string>();
  const read = (file: string): string => {
    if (!sources.has(file)) sources.set(file, fs.readFileSync(path.join(root, file), 'utf8'));
    return sources.get(file) as string;
  };
  const gradedFiles = walk(root, 'lib', (f) => f.endsWith('.ts')).filter((f) => stripSolutions(read(f), 'code', f, { kinds: ['solution'] }).regions.length > 0);
  const hiddenTests = walk(root, 'test/graded', (f) => f.endsWith('.test.ts')).flatMap((f) => hiddenTestsOf(read(f), f));
  const graded = new Set(gradedFiles);
  /** A file as the release has it: graded lib files stubbed, graded tests without their hidden ones. */
  const released = (file: string): string | undefined => {
    if (!fs.existsSync(path.join(root, file))) return undefined;
    if (graded.has(file)) return stubOfLibFile(read(file), file);
    if (/^test\/graded\/.*\.test\.ts$/.test(file)) return stripSolutions(read(file), 'code', file, { kinds: ['hidden'] }).text;
    return read(file);
  };
  return {
    manifest: { format: MANIFEST_FORMAT, gradedFiles, hiddenTests },
    stub: (file) => stubOfLibFile(read(file), file),
    asReleased: (file, content) => released(file) === content.toString('utf8'),
  };
}
