/** Test helpers for SVG pictures: parse as XML (rejecting any error) and find elements by tag and class. */
import assert from "node:assert/strict";
import { type Document, DOMParser, type Element } from "npm:@xmldom/xmldom@0.9.12";

export type { Document, Element };

/** Parses SVG text as XML; any parse error or warning throws, and so does a bare `&` (which xmldom lets pass). */
export function parseSvg(svg: string): Document {
  const bare = /&(?!(amp|lt|gt|quot|apos|#\d+);)/.exec(svg);
  if (bare) {
    throw new Error(`SVG is not well-formed XML: a bare & at ${bare.index}: ${svg.slice(bare.index, bare.index + 20)}`);
  }
  const doc = new DOMParser({
    onError: (level: string, msg: string) => {
      throw new Error(`SVG is not well-formed XML (${level}): ${msg}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  assert.equal(doc.documentElement?.tagName, "svg");
  return doc;
}

/** The elements of a tag under `root`, in document order. */
export const elements = (root: Document | Element, tag: string): Element[] =>
  Array.from(root.getElementsByTagName(tag));

/** An element's class attribute ("" when absent). */
export const classOf = (e: Element): string => e.getAttribute("class") ?? "";

/** The `<g>` groups whose class starts with `prefix` (`"node "`, `"edge"`). */
export const groups = (root: Document | Element, prefix: string): Element[] =>
  elements(root, "g").filter((g) => classOf(g).startsWith(prefix));
