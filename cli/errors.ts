// Errors the CLI raises itself: command-line mistakes and files named on the command line. They are
// KilnErrors, so cli/main.ts prints them as one line instead of a stack trace.

import { ArgumentError, KilnError } from '../core/errors.js';

/** A file or folder named on the command line cannot be read, found or written. */
export class FileError extends KilnError {}

/**
 * A command-line flag or argument is malformed (exit code 2). It is an ArgumentError whose site
 * is the command, so code that catches ArgumentError keeps working.
 */
export class UsageError extends ArgumentError {
  constructor(command: string, argument: string, expected: string, received: string) {
    super({ op: 'kiln', node: command }, argument, expected, received);
  }
}
