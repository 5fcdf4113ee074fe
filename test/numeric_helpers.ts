import * as assert from 'node:assert/strict';
import { maxAbsDifference } from '../lib/attention/vector';

/** The largest |a[i] - b[i]| (the lib's maxAbsDifference); different lengths fail as an assertion. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.strictEqual(a.length, b.length, 'lengths differ');
  return maxAbsDifference(a, b);
}
