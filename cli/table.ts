// Plain-text tables for CLI output: right-aligned numbers, left-aligned text, a rule under the header.

export type Cell = string | number;

function formatCell(c: Cell, integerColumn: boolean): string {
  if (typeof c === 'string') return c;
  if (integerColumn) return String(c);
  const a = Math.abs(c);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? c.toExponential(3) : c.toFixed(4);
}

export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const integer = header.map((_, i) => rows.every((r) => typeof r[i] !== 'number' || Number.isInteger(r[i])));
  const text = rows.map((r) => r.map((c, i) => formatCell(c, integer[i])));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}
