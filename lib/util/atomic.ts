/**
 * Atomic file writes: the data goes to a temporary file in the same folder, is flushed to disk, and is then
 * renamed over the target. A rename within one file system is atomic, so a process killed at any moment
 * leaves either the old file or the new one, never a half-written file.
 */
import * as fs from 'fs';
import * as path from 'path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.renameSync(writeTemporary(file, data), file);
}

/**
 * Writes `file` only if it does not exist, atomically: the complete file appears under its name or nothing does.
 * A hard link fails when the name is taken, and it is one step, so of two processes racing for one name exactly
 * one gets it. Returns false (and writes nothing) when the name was taken.
 */
export function writeFileExclusive(file: string, data: string | Uint8Array): boolean {
  const tmp = writeTemporary(file, data);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The data in a flushed temporary file beside `file` (same folder, so same file system); returns its path. */
function writeTemporary(file: string, data: string | Uint8Array): string {
  const dir = path.dirname(path.resolve(file));
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return tmp;
}
