/**
 * A tensor in a few lines: its kind, dtype and shape, then its first values
 * along each axis as nested brackets (an ellipsis where values are left
 * out) — what `Deno.inspect(tensor)` prints and a notebook shows.
 * @module
 */
import { escapeHtml, htmlBundle, htmlTable, type MediaBundle } from "../viz/html.ts";

/** What a preview reads of a tensor. */
export interface Previewable {
  /** The dimensions. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  readonly data: ArrayLike<number>;
}

/** Options of {@link previewText} and {@link previewBundle}. */
export interface PreviewOptions {
  /** The first line (default `Tensor [shape]`). */
  title?: string;
  /** Rows and columns (the last two axes) shown before an ellipsis (default 6); outer axes show 2. */
  maxItems?: number;
}

/** One value: integers as they are, others with 4 significant digits. */
function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function checkMaxItems(maxItems: number): void {
  if (!Number.isInteger(maxItems) || maxItems < 1) {
    throw new RangeError(`preview: maxItems is ${maxItems}; an integer ≥ 1 is accepted`);
  }
}

/** How many entries of axis `dim` are shown: `maxItems` on the last two axes (rows, columns), 2 on outer axes. */
function shownAt(t: Previewable, dim: number, maxItems: number): number {
  return Math.min(t.shape[dim], dim >= t.shape.length - 2 ? maxItems : Math.min(2, maxItems));
}

/** The values shown as text by flat index, and the widest of them. */
function shownValues(t: Previewable, maxItems: number): { cells: Map<number, string>; width: number } {
  const cells = new Map<number, string>();
  const walk = (dim: number, offset: number) => {
    if (dim === t.shape.length) {
      cells.set(offset, formatValue(t.data[offset]));
      return;
    }
    const stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < shownAt(t, dim, maxItems); i++) walk(dim + 1, offset + i * stride);
  };
  walk(0, 0);
  return { cells, width: Math.max(0, ...[...cells.values()].map((c) => c.length)) };
}

/**
 * The text preview: a title line, then the values as nested brackets (right-aligned to one width): at most
 * `maxItems` rows and columns (the last two axes), 2 entries of each outer axis, "…" for the rest.
 * @example
 * ```ts
 * import { previewText } from "./preview.ts";
 * console.log(previewText({ shape: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => i) }));
 * // Tensor [2, 8]
 * // [[ 0,  1,  2,  3,  4,  5, …],
 * //  [ 8,  9, 10, 11, 12, 13, …]]
 * ```
 */
export function previewText(t: Previewable, options: PreviewOptions = {}): string {
  const maxItems = options.maxItems ?? 6;
  checkMaxItems(maxItems);
  const { cells, width } = shownValues(t, maxItems);
  const rank = t.shape.length;
  const nested = (dim: number, offset: number): string => {
    if (dim === rank) return cells.get(offset)!.padStart(width);
    const n = t.shape[dim], stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const shown = shownAt(t, dim, maxItems);
    const parts = Array.from({ length: shown }, (_, i) => nested(dim + 1, offset + i * stride));
    if (n > shown) parts.push("…");
    // Rows on lines of their own, blocks of higher axes apart by blank lines (as numpy prints them).
    const sep = dim === rank - 1 ? ", " : ",\n" + "\n".repeat(rank - dim - 2) + " ".repeat(dim + 1);
    return `[${parts.join(sep)}]`;
  };
  return `${options.title ?? `Tensor [${t.shape.join(", ")}]`}\n${nested(0, 0)}`;
}

/**
 * What a notebook shows for a tensor: the title, min / mean / max, and the first values (a table for rank 1 and 2,
 * the text preview above that), with {@link previewText} as the plain twin.
 * @example
 * ```ts
 * import { previewBundle } from "./preview.ts";
 * const b = previewBundle({ shape: [2, 2], data: [1, 2, 3, 4] });
 * console.log((b["text/html"] as string).includes("<td style=\"text-align:right\">4</td>")); // true
 * ```
 */
export function previewBundle(t: Previewable, options: PreviewOptions = {}): MediaBundle {
  const maxItems = options.maxItems ?? 6;
  const text = previewText(t, { ...options, maxItems });
  const title = text.slice(0, text.indexOf("\n"));
  const html = `<div><b>${escapeHtml(title)}</b>${statsText(t.data)}</div>${previewHtml(t, maxItems, text)}`;
  return htmlBundle(html, text);
}

/** " — min …, mean …, max …" over every value (NaN when any is NaN); nothing for an empty tensor. */
function statsText(data: ArrayLike<number>): string {
  if (data.length === 0) return "";
  let min = Infinity, max = -Infinity, sum = 0;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
    sum += data[i];
  }
  return ` — min ${formatValue(min)}, mean ${formatValue(sum / data.length)}, max ${formatValue(max)}`;
}

/** Rank 1 and 2 as a table of the first values (… where some are left out); other ranks as the text. */
function previewHtml(t: Previewable, maxItems: number, text: string): string {
  if (t.shape.length < 1 || t.shape.length > 2 || t.data.length === 0) {
    return `<pre>${escapeHtml(text.slice(text.indexOf("\n") + 1))}</pre>`;
  }
  const [rows, cols] = t.shape.length === 1 ? [1, t.shape[0]] : t.shape;
  const shownCols = Math.min(cols, maxItems);
  const body = Array.from({ length: Math.min(rows, maxItems) }, (_, r) => {
    const row: (string | number)[] = Array.from({ length: shownCols }, (_, c) => formatValue(t.data[r * cols + c]));
    return cols > maxItems ? [...row, "…"] : row;
  });
  if (rows > maxItems) body.push(body[0].map(() => "⋮"));
  return htmlTable([], body, { numeric: body[0].map((_, j) => j) });
}
