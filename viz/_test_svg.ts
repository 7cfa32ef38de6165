/**
 * Test helpers for pictures: an SVG parsed by a strict XML parser (any
 * warning, error or fatal error fails the test, and so does a bare `&`,
 * which xmldom lets pass) and its elements by tag or class.
 * @module
 */
import { DOMParser } from "npm:@xmldom/xmldom@0.9.12";

/** A parsed element: what the tests read of it. */
export interface SvgElement {
  /** The tag name. */
  readonly nodeName: string;
  /** The text inside. */
  readonly textContent: string | null;
  /** An attribute's value, or null. */
  getAttribute(name: string): string | null;
  /** Descendants by tag name. */
  getElementsByTagName(name: string): ArrayLike<SvgElement>;
}

/** Parses `text` as an SVG document; throws on any parser message or a root that is not `<svg>`. */
export function parseSvg(text: string): SvgElement {
  const root = parseXml(text, "image/svg+xml");
  if (root.nodeName !== "svg") throw new Error(`the root element is <${root.nodeName}>, not <svg>`);
  if (root.getAttribute("xmlns") !== "http://www.w3.org/2000/svg") throw new Error("the <svg> has no SVG namespace");
  return root;
}

/** Parses `text` as strict XML (HTML fragments built by onebit are well-formed); throws on any parser message. */
export function parseXml(text: string, mime: "text/xml" | "image/svg+xml" = "text/xml"): SvgElement {
  const problems: string[] = [];
  const bare = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bare) problems.push(`a bare & at ${bare.index}: ${text.slice(bare.index, bare.index + 20)}`);
  const parser = new DOMParser({ onError: (level: string, message: string) => problems.push(`${level}: ${message}`) });
  let root: SvgElement | null = null;
  try {
    root = parser.parseFromString(text, mime).documentElement as unknown as SvgElement;
  } catch (e) {
    problems.push(String(e));
  }
  if (problems.length || !root) throw new Error(`invalid ${mime}: ${problems.join("; ")}`);
  return root;
}

/** The cell texts of every row of a table section (`tbody`, `thead`, `tfoot`) under `root`. */
export function tableRows(root: SvgElement, section: "thead" | "tbody" | "tfoot" = "tbody"): string[][] {
  return Array.from(root.getElementsByTagName(section)).flatMap((s) =>
    Array.from(s.getElementsByTagName("tr")).map((tr) =>
      Array.from(tr.getElementsByTagName("*")).filter((c) => c.nodeName === "td" || c.nodeName === "th")
        .map((c) => c.textContent ?? "")
    )
  );
}

/** Every element under `root` (any tag) whose class list includes all of `classes` (space-separated). */
export function byClass(root: SvgElement, classes: string): SvgElement[] {
  const want = classes.split(" ");
  return Array.from(root.getElementsByTagName("*")).filter((e) => {
    const have = (e.getAttribute("class") ?? "").split(/\s+/);
    return want.every((c) => have.includes(c));
  });
}

/** The marks (paths, lines, text) drawn by the mark groups whose classes include `classes`. */
export function marksOf(root: SvgElement, classes: string): SvgElement[] {
  return byClass(root, classes).flatMap((g) =>
    Array.from(g.getElementsByTagName("*")).filter((e) => ["path", "line", "text", "rect"].includes(e.nodeName))
  );
}

/** The texts of the mark groups whose classes include `classes` (axis titles, legend labels, …). */
export function textsOf(root: SvgElement, classes: string): string[] {
  return byClass(root, classes).flatMap((g) =>
    Array.from(g.getElementsByTagName("text")).map((t) => t.textContent ?? "")
  );
}

/** The elements of a tag under `root`, in document order. */
export function elements(root: SvgElement, tag: string): SvgElement[] {
  return Array.from(root.getElementsByTagName(tag));
}

/** An element's class attribute ("" when absent). */
export function classOf(e: SvgElement): string {
  return e.getAttribute("class") ?? "";
}

/** The `<g>` groups under `root` whose class starts with `prefix` (`"node "`, `"edge"`). */
export function groups(root: SvgElement, prefix: string): SvgElement[] {
  return elements(root, "g").filter((g) => classOf(g).startsWith(prefix));
}
