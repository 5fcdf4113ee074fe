/**
 * What the build hands the page (`models.js`) about each model, and what the page delivers to itself through the
 * script files it loads (weights, the wasm binary): plain JSON-able data, shared by the builder and the page.
 */
import type { GPTConfig, Variant } from '../../../lib/mingpt/config';

export type AskRow = 'vanilla-nopretrain' | 'vanilla-pretrain' | 'rope-pretrain';

/** For one probed dev person: the start of their line and what the pretrained model wrote after it. */
export interface RecallShown {
  prefix: string;
  continuation: string;
  recalled: boolean;
}

export interface AskModel {
  row: AskRow;
  label: string;
  variant: Variant;
  config: GPTConfig;
  params: number;
  /** The script file that delivers the weights (a safetensors file, base64), relative to the page. */
  weights: string;
  /** Bytes of the safetensors file, and the float type it stores. */
  bytes: number;
  dtype: 'F16' | 'F32';
  /** Why this float type: what the float16 check at build found. */
  dtypeNote: string;
  /** The dev score of the evaluation record. */
  score: { correct: number; total: number; accuracy: number };
  /** The course's dev accuracy for this row (a reference, not a result of this workbook). */
  course: number;
  /** Provenance: the evaluation record, its file, the checkpoint, and the runs behind it. */
  evaluation: string;
  recordFile: string;
  checkpoint: string;
  finetune?: string;
  pretrain?: string;
  /** The recall probe of the pretrained model behind this one, by dev index, and where it comes from. */
  recall?: { source: string; window: number; byDev: Record<number, RecallShown> };
}

export interface AskData {
  corpus: 'real' | 'synthetic';
  /** One sentence: which models these are and where they come from. */
  origin: string;
  corpusDescription: string;
  /** The dev questions and their gold answers (empty when the corpus is not on the build machine). */
  dev: { question: string; answer: string }[];
  /** The question the page opens on (its index in `dev`) and why (scripts/site/ask_page.ts: openingQuestion). */
  opening: { index: number; why: string };
  /** The always-"London" baseline's dev score and its record, when the records have one. */
  baseline?: { correct: number; total: number; accuracy: number; record: string };
  models: AskModel[];
  /** The wasm binaries' script files, by the name tfjs asks for. */
  wasm: Record<string, string>;
  built: string;
}

/** The global through which the page's script files deliver their contents. */
export interface AskGlobal {
  data?: AskData;
  /** Called by models.js. */
  setData(d: AskData): void;
  /** Called by each weights or wasm file: the key (its path) and the bytes, base64. */
  deliver(key: string, base64: string): void;
  delivered: Map<string, string>;
}
