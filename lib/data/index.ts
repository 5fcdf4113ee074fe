/**
 * Data for the minGPT exercise: vocabulary, files, datasets, batches, the synthetic world and corpus lookup.
 * Notebooks import this as './lib/data/index': tslab does not resolve a folder to its index.ts.
 */
export * from './errors';
export * from './text';
export * from './vocab';
export { parseEvalTsv, parseQaTsv, readEvalTsv, readQaTsv, parseQuestions, readQuestions } from './tsv';
export * from './hold_out';
export type { EvalSet, QA, Question } from './tsv';
export * from './name_dataset';
export * from './char_corruption';
export * from './span_stats';
export * from './batch';
export * from './synthetic_world';
export * from './corpus';
