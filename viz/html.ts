/**
 * The bottom of onebit's pictures: HTML escaping, one table builder and the
 * Jupyter rich-display protocol, shared by every class that shows itself in a
 * notebook (a model, a tensor, an interpreter, a conversion report).
 *
 * The Deno Jupyter kernel shows a cell's value through its
 * `[Symbol.for("Jupyter.display")]()` method, which returns a MIME bundle;
 * outside a notebook the method is never called and costs nothing.
 * @module
 */

/** The key the Deno Jupyter kernel looks up on a value to show it richly (`Deno.jupyter.$display`). */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** A Jupyter MIME bundle: MIME type to content (`text/plain` is the fallback every front end can show). */
export type MediaBundle = Record<string, string | object>;

/** An object the Deno Jupyter kernel displays through {@link JUPYTER_DISPLAY}. */
export interface Displayable {
  /** Returns the MIME bundle to show. */
  [JUPYTER_DISPLAY](): MediaBundle | Promise<MediaBundle>;
}

/**
 * Escapes text for HTML element content and attribute values.
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * if (escapeHtml('<a href="x">&</a>') !== "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;") throw new Error();
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(
    /'/g,
    "&#39;",
  );
}

/** A table cell: plain text (escaped), or `{ html }` already escaped by the caller. */
export type Cell = string | number | { html: string };

/** Options of {@link htmlTable}. */
export interface TableOptions {
  /** A caption above the table (plain text). */
  caption?: string;
  /** A CSS class per body row (e.g. `"binary"`), or undefined for none. */
  rowClass?: (row: number) => string | undefined;
  /** Columns (by index) aligned right: numbers. Default: every column whose body cells are all numbers. */
  numeric?: number[];
  /** Extra rows below the body (totals), same cell rules. */
  footer?: Cell[][];
}

function cellHtml(c: Cell): string {
  return typeof c === "object" ? c.html : escapeHtml(String(c));
}

/**
 * An HTML `<table>` with a header row, escaped cells, right-aligned numeric columns and a class per row; the
 * style is inline (notebook front ends and code hosts drop `<style>` blocks unevenly).
 * @example
 * ```ts
 * import { htmlTable } from "./html.ts";
 * const t = htmlTable(["layer", "params"], [["dense", 10]], { caption: "model" });
 * if (!t.includes("<td style=\"text-align:right\">10</td>")) throw new Error(t);
 * ```
 */
export function htmlTable(headers: string[], rows: Cell[][], options: TableOptions = {}): string {
  const numeric = new Set(
    options.numeric ??
      headers.map((_, j) => j).filter((j) => rows.length > 0 && rows.every((r) => typeof r[j] === "number")),
  );
  const td = (c: Cell, j: number, tag = "td") =>
    `<${tag}${numeric.has(j) ? ' style="text-align:right"' : ""}>${cellHtml(c)}</${tag}>`;
  const body = rows.map((r, i) => {
    const cls = options.rowClass?.(i);
    return `<tr${cls ? ` class="${escapeHtml(cls)}"` : ""}>${r.map((c, j) => td(c, j)).join("")}</tr>`;
  });
  const foot = (options.footer ?? []).map((r) => `<tr>${r.map((c, j) => td(c, j, "th")).join("")}</tr>`);
  return [
    "<table>",
    options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "",
    `<thead><tr>${headers.map((h, j) => td(h, j, "th")).join("")}</tr></thead>`,
    `<tbody>${body.join("")}</tbody>`,
    foot.length ? `<tfoot>${foot.join("")}</tfoot>` : "",
    "</table>",
  ].join("");
}

/**
 * A MIME bundle of HTML with its plain-text twin (what a terminal or a code host's text view shows).
 * @example
 * ```ts
 * import { htmlBundle } from "./html.ts";
 * const b = htmlBundle("<b>x</b>", "x");
 * if (b["text/html"] !== "<b>x</b>" || b["text/plain"] !== "x") throw new Error();
 * ```
 */
export function htmlBundle(html: string, text: string): MediaBundle {
  return { "text/html": html, "text/plain": text };
}

/** True inside the Deno Jupyter kernel (where `Deno.jupyter` can display and update outputs). */
export function inJupyter(): boolean {
  try {
    // deno-lint-ignore no-explicit-any
    const j = (Deno as any).jupyter;
    return typeof j?.display === "function" && typeof j?.broadcast === "function" &&
      Deno.env.get("JPY_PARENT_PID") !== undefined;
  } catch {
    return false;
  }
}
