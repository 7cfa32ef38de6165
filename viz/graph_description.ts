/**
 * What a graph picture shows, without drawing it: the boxes and arrows of a
 * {@link GraphDescription}, the colour of each kind of box, and the renderer
 * that turns a description into SVG once `viz/graph.ts` (dagre's layout, an
 * `npm:` package) is loaded. The interpreter and the `.tflite` summary build
 * descriptions from here, so the lean entry (`runtime.ts`) imports no `npm:`
 * package; mod.ts imports `viz/graph.ts`, which registers its `graphSvg`.
 * @module
 */

/** What a box stands for: a binary op (LCE's), a float op, or a model input or output. */
export type NodeKind = "binary" | "float" | "input" | "output";

/** One box of the picture. */
export interface GraphNode {
  /** Unique within the graph; edges refer to it. */
  id: string;
  /** The first line (an op name such as `LceBconv2d`, or a tensor name for inputs and outputs). */
  label: string;
  /** Binary, float, input or output: the box's colour and shape. */
  kind: NodeKind;
  /** A smaller second line (e.g. `3x3 s1 SAME, 32 filters`), if any. */
  detail?: string;
}

/** One arrow: a tensor flowing from one box to another. */
export interface GraphEdge {
  /** The id of the node writing the tensor. */
  from: string;
  /** The id of the node reading it. */
  to: string;
  /** Printed beside the arrow, usually the shape (`1x8x8x32`). */
  label?: string;
  /** A bitpacked tensor (32 channels per int32 word): drawn thick and dashed. */
  packed?: boolean;
}

/** A graph to draw: boxes and arrows, plus an optional title above them. */
export interface GraphDescription {
  /** The boxes, drawn in this order. */
  nodes: GraphNode[];
  /** The arrows between them. */
  edges: GraphEdge[];
  /** A line of bold text above the picture (e.g. the model's description). */
  title?: string;
}

/** Fill and stroke per node kind; the legend shows the same. */
export const NODE_COLORS: Readonly<Record<NodeKind, { fill: string; stroke: string }>> = {
  binary: { fill: "#ffd8a8", stroke: "#e8590c" },
  float: { fill: "#dbe4ff", stroke: "#3b5bdb" },
  input: { fill: "#ffffff", stroke: "#495057" },
  output: { fill: "#ffffff", stroke: "#495057" },
};

/**
 * A table cell marking binary (`yes` on the picture's binary colour) or float (`no`), for the HTML tables that
 * sit beside a graph picture (the interpreter's op table, the conversion report).
 * @example
 * ```ts
 * import { binaryCell } from "./graph_description.ts";
 * console.log(binaryCell(true).html.includes(">yes<"), binaryCell(false).html); // true no
 * ```
 */
export function binaryCell(binary: boolean): { html: string } {
  return { html: binary ? `<span style="background:${NODE_COLORS.binary.fill};padding:0 4px">yes</span>` : "no" };
}

/** Draws a {@link GraphDescription} as an SVG document (`viz/graph.ts`'s `graphSvg`). */
export type GraphRenderer = (g: GraphDescription) => Promise<string>;

let renderer: GraphRenderer | null = null;

/**
 * Sets the renderer that displays use for graph pictures (`viz/graph.ts` sets its `graphSvg` when it is imported);
 * `null` removes it.
 */
export function setGraphRenderer(render: GraphRenderer | null): void {
  if (render !== null && typeof render !== "function") {
    throw new TypeError(`setGraphRenderer: got ${typeof render}; a function or null is accepted`);
  }
  renderer = render;
}

/**
 * The graph renderer, or null when no module drew pictures yet: a program that imports only the lean entry
 * (`runtime.ts`) displays its interpreter without the picture.
 * @example
 * ```ts
 * import { graphRenderer } from "./graph_description.ts";
 * import "./graph.ts";
 * console.log(typeof graphRenderer()); // function
 * ```
 */
export function graphRenderer(): GraphRenderer | null {
  return renderer;
}
