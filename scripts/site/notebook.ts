/** The parts of the Jupyter notebook format (nbformat 4) that the build, the site and the release read and write. */
import * as fs from 'fs';

export type MultilineString = string | string[];

export interface NotebookOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error' | 'update_display_data';
  name?: 'stdout' | 'stderr';
  text?: MultilineString;
  data?: Record<string, MultilineString | object>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: 'markdown' | 'code' | 'raw';
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  attachments?: Record<string, Record<string, string>>;
}

export interface KernelSpec {
  name: string;
  display_name?: string;
  language?: string;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: KernelSpec; language_info?: { name?: string }; [key: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

/** Joins a notebook's multi-line string (stored either as one string or as a list of lines). */
export function text(s: MultilineString | undefined): string {
  return s === undefined ? '' : Array.isArray(s) ? s.join('') : s;
}

/** Splits text into nbformat's list of lines, each but the last keeping its '\n'. */
export function toLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n').map((l) => l + '\n');
  const last = lines.length - 1;
  lines[last] = lines[last].slice(0, -1);
  return lines[last] === '' ? lines.slice(0, -1) : lines;
}

/** Reads and minimally validates a notebook; errors name the file. */
export function readNotebook(file: string): Notebook {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(raw) as Notebook;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!nb || !Array.isArray(nb.cells) || typeof nb.nbformat !== 'number') {
    throw new Error(`${file}: not a Jupyter notebook (no "cells" list or "nbformat" number)`);
  }
  if (nb.nbformat !== 4) throw new Error(`${file}: nbformat ${nb.nbformat} is not supported (expected 4)`);
  nb.cells.forEach((cell, i) => {
    if (!['markdown', 'code', 'raw'].includes(cell.cell_type)) {
      throw new Error(`${file}: cell ${i + 1} has unknown cell_type "${String(cell.cell_type)}"`);
    }
  });
  return nb;
}

/** Writes a notebook the way Jupyter does (1-space indent, trailing newline), so diffs stay small. */
export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}
