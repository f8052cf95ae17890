// Where a command writes: lines to stdout and stderr, plus a transient status line for progress bars.
// Commands take a CliIO so tests can capture output instead of patching the console.

export interface CliIO {
  /** One line of results (stdout). */
  out(line: string): void;
  /** One line of diagnostics (stderr). */
  err(line: string): void;
  /** Replace the transient status line on stderr ('' clears it). Only called when `interactive`. */
  status(text: string): void;
  /** True when a person watches a terminal: progress bars are drawn only then. */
  readonly interactive: boolean;
}

/** The process's streams. Progress needs both to be terminals, so redirected output stays clean. */
export function processIO(): CliIO {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    // \r returns to column 0 and ESC[K erases to the end of the line.
    status: (text) => process.stderr.write(`\r\x1b[K${text}`),
    interactive: process.stdout.isTTY === true && process.stderr.isTTY === true,
  };
}

export interface BufferIO extends CliIO {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Every status text written, in order ('' for a clear). */
  readonly statuses: string[];
}

/** Collects output in memory (tests, embedding). */
export function bufferIO(interactive = false): BufferIO {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const statuses: string[] = [];
  return {
    stdout,
    stderr,
    statuses,
    interactive,
    out: (line) => void stdout.push(line),
    err: (line) => void stderr.push(line),
    status: (text) => void statuses.push(text),
  };
}
