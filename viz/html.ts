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
 * An HTML `<table>` with a header row (none for no headers), escaped cells, right-aligned numeric columns and a class per row; the
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
    headers.length ? `<thead><tr>${headers.map((h, j) => td(h, j, "th")).join("")}</tr></thead>` : "",
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

/** Options of a {@link DisplayFunction} call (Deno's `Deno.jupyter.DisplayOptions`). */
export interface DisplayOptions {
  /** The bundle is shown as is (a MIME bundle, not an object to format). */
  raw: true;
  /** Names the display, so a later call with `update: true` replaces it. */
  display_id?: string;
  /** Replace the display named `display_id` instead of adding one. */
  update?: boolean;
}

/** Shows a MIME bundle in a notebook cell's output: `Deno.jupyter.display`'s shape. */
export type DisplayFunction = (bundle: MediaBundle, options: DisplayOptions) => Promise<void> | void;

let displayOverride: DisplayFunction | null | undefined;

/**
 * The Deno Jupyter kernel's display function, or null outside a notebook. Detection: `Deno.jupyter` exists only
 * under `deno jupyter` (elsewhere reading it throws), so no environment variable is consulted.
 * @example
 * ```ts
 * import { jupyterDisplay } from "./html.ts";
 * console.log(jupyterDisplay()); // null (not in a notebook)
 * ```
 */
export function jupyterDisplay(): DisplayFunction | null {
  if (displayOverride !== undefined) return displayOverride;
  try {
    // deno-lint-ignore no-explicit-any
    const jupyter = (Deno as any).jupyter;
    return typeof jupyter?.display === "function"
      ? (bundle: MediaBundle, options: DisplayOptions) => jupyter.display(bundle, options)
      : null;
  } catch {
    return null;
  }
}

/**
 * Replaces the detected display function: a mock in tests, or another kernel's function; `null` acts as outside a
 * notebook, `undefined` restores detection.
 */
export function setJupyterDisplay(display: DisplayFunction | null | undefined): void {
  if (display !== null && display !== undefined && typeof display !== "function") {
    throw new TypeError(`setJupyterDisplay: got ${typeof display}; a function, null or undefined is accepted`);
  }
  displayOverride = display;
}

/** True inside the Deno Jupyter kernel (where `Deno.jupyter` can display and update outputs). */
export function inJupyter(): boolean {
  return jupyterDisplay() !== null;
}

/**
 * A MIME bundle of an SVG picture with its plain-text twin.
 * @example
 * ```ts
 * import { svgBundle } from "./html.ts";
 * const b = svgBundle("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "a picture");
 * if (b["text/plain"] !== "a picture") throw new Error();
 * ```
 */
export function svgBundle(svg: string, text: string): MediaBundle {
  return { "image/svg+xml": svg, "text/plain": text };
}
