/**
 * Adapts a dataset of examples (lib/data: NameDataset, CharCorruptionDataset) to the trainer's BatchSource:
 * collects the examples of a batch and stacks them with `collate`, trimming the columns that are padding in
 * every row (they carry no loss, and a causal model's earlier outputs cannot see them, so the loss is the
 * same and the step cheaper). The schedule still counts the untrimmed width, as the course does.
 */
import { Batch, BatchSource } from './trainer';
import { collate } from '../data/batch';
import type { Example } from '../data/name_dataset';
import { Rng } from '../util/random';

export interface ExampleDataset {
  readonly length: number;
  /** The i-th example; random datasets (span corruption) draw from `rng`, others ignore it. */
  example(i: number, rng: Rng): Example;
}

export function datasetBatches(dataset: ExampleDataset, opts: { trimPad?: boolean } = {}): BatchSource {
  const trimPad = opts.trimPad ?? true;
  return {
    length: dataset.length,
    batch(indices: readonly number[], seed: number): Batch {
      const rng = new Rng(seed);
      const examples = indices.map((i) => dataset.example(i, rng));
      const b = collate(examples, { trimPad });
      return { ...b, paddedTime: examples[0].x.length };
    },
  };
}
