import * as assert from 'node:assert/strict';
import { DataError } from '../lib/data';

/** An assert.throws predicate: the error is a DataError whose message matches `pattern`. */
export function isDataError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}
