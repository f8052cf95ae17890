// A one-line progress bar on the status line, drawn only for an interactive terminal. Result lines
// printed meanwhile clear the bar first, so the bar never ends up inside the output.

import type { CliIO } from './io.js';

const WIDTH = 24;

export class ProgressBar {
  private done = 0;
  private label = '';

  constructor(private readonly io: CliIO, private readonly total: number) {}

  /** Start work on an item: redraw with its label. */
  step(label: string): void {
    this.label = label;
    this.draw();
  }

  /** An item is finished. */
  tick(): void {
    this.done++;
    this.draw();
  }

  /** Print a result line without leaving the bar in it. */
  print(line: string): void {
    if (this.io.interactive) this.io.status('');
    this.io.out(line);
    this.draw();
  }

  /** Remove the bar for good. */
  clear(): void {
    if (this.io.interactive) this.io.status('');
  }

  private draw(): void {
    if (!this.io.interactive || this.total === 0) return;
    const filled = Math.round((WIDTH * this.done) / this.total);
    this.io.status(`[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${this.done}/${this.total} ${this.label}`);
  }
}
