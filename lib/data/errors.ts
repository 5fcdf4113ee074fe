/**
 * The error type for a user's data mistakes: a missing file, a malformed TSV line, a character the
 * vocabulary has never seen, a block size too small for an example.
 *
 * Its message is written for the person who made the mistake (it names the file, the line and what was
 * wrong), so a command-line tool prints `err.message` alone, without a stack trace. Programming errors
 * (a bug in the workbook) stay plain `Error`s.
 */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
