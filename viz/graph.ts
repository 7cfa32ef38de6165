/**
 * A model graph as an SVG picture — what LCE users open Netron for: ops as
 * boxes coloured binary or float, model inputs and outputs as rounded boxes,
 * edges labelled with the tensor's shape, bitpacked (int32) tensors drawn
 * thick and dashed, and a legend. The layout (ranks, crossing reduction,
 * edge routes and label places) is dagre's (`@dagrejs/dagre`, loaded on
 * first use); this file only draws boxes and polylines at its coordinates.
 *
 * It takes a plain {@link GraphDescription}, so any floor can feed it: the
 * `.tflite` reader (tflite/summary.ts `modelGraph`), the interpreter's
 * display and `deno task inspect --svg`.
 * @module
 */
import { loadDagre } from "../_deps.ts";
import { escapeHtml } from "./html.ts";
import {
  type GraphDescription,
  type GraphEdge,
  type GraphNode,
  NODE_COLORS,
  type NodeKind,
  setGraphRenderer,
} from "./graph_description.ts";

export {
  binaryCell,
  type GraphDescription,
  type GraphEdge,
  type GraphNode,
  NODE_COLORS,
  type NodeKind,
} from "./graph_description.ts";

/** Options of {@link graphSvg}. */
export interface GraphSvgOptions {
  /** `TB` (top to bottom, default) or `LR` (left to right). */
  direction?: "TB" | "LR";
}

const FONT = 12, SMALL = 10, CHAR = 0.62, PAD_X = 10, LINE = 16;
const TITLE_H = 24, LEGEND_H = 28, MARGIN = 12;

const textWidth = (text: string, size: number) => Math.ceil(text.length * size * CHAR);

function boxSize(n: GraphNode): { width: number; height: number } {
  const width = Math.max(textWidth(n.label, FONT), textWidth(n.detail ?? "", SMALL)) + 2 * PAD_X;
  return { width: Math.max(width, 60), height: n.detail ? 2 * LINE + 6 : LINE + 12 };
}

function checkGraph(g: GraphDescription): void {
  const where = "graphSvg";
  const kinds = Object.keys(NODE_COLORS);
  const ids = new Set<string>();
  for (const n of g.nodes) {
    if (typeof n.id !== "string") throw new TypeError(`${where}: a node id must be a string, got ${String(n.id)}`);
    if (ids.has(n.id)) throw new TypeError(`${where}: node id "${n.id}" appears twice; ids must be unique`);
    if (!kinds.includes(n.kind)) {
      throw new TypeError(`${where}: node "${n.id}" has kind ${JSON.stringify(n.kind)}; kinds are ${kinds}`);
    }
    ids.add(n.id);
  }
  for (const e of g.edges) {
    for (const end of [e.from, e.to]) {
      if (!ids.has(end)) throw new RangeError(`${where}: edge ${e.from} -> ${e.to} names no node "${end}"`);
    }
  }
}

/** The positions dagre computes: node centres, edge polylines and label centres. */
interface Layout {
  width: number;
  height: number;
  nodes: { x: number; y: number; width: number; height: number }[];
  edges: { points: { x: number; y: number }[]; x?: number; y?: number }[];
}

async function layout(g: GraphDescription, direction: "TB" | "LR"): Promise<Layout> {
  const dagre = await loadDagre();
  const d = new dagre.graphlib.Graph({ multigraph: true });
  d.setGraph({ rankdir: direction, nodesep: 24, ranksep: 36, edgesep: 12, marginx: MARGIN, marginy: MARGIN });
  d.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) d.setNode(n.id, boxSize(n));
  g.edges.forEach((e, k) => {
    const label = e.label ?? "";
    d.setEdge(e.from, e.to, {
      width: textWidth(label, SMALL),
      height: label ? SMALL + 4 : 0,
      labelpos: "r",
      labeloffset: 4,
    }, `e${k}`);
  });
  dagre.layout(d);
  const graph = d.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes: g.nodes.map((n) => d.node(n.id)),
    edges: g.edges.map((e, k) => d.edge({ v: e.from, w: e.to, name: `e${k}` })),
  };
}

const f = (v: number) => Number(v.toFixed(1));

function nodeSvg(n: GraphNode, p: Layout["nodes"][number], dy: number): string {
  const { fill, stroke } = NODE_COLORS[n.kind];
  const x = f(p.x - p.width / 2), y = f(p.y - p.height / 2 + dy);
  const rx = n.kind === "input" || n.kind === "output" ? p.height / 2 : 4;
  const lines = [`<text x="${f(p.x)}" y="${f(y + LINE)}" font-size="${FONT}">${escapeHtml(n.label)}</text>`];
  if (n.detail) {
    lines.push(
      `<text x="${f(p.x)}" y="${f(y + 2 * LINE)}" font-size="${SMALL}" fill="#495057">${escapeHtml(n.detail)}</text>`,
    );
  }
  return `<g class="node ${n.kind}" data-id="${escapeHtml(n.id)}"><rect x="${x}" y="${y}" width="${f(p.width)}" ` +
    `height="${f(p.height)}" rx="${f(rx)}" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>${lines.join("")}</g>`;
}

function edgeSvg(e: GraphEdge, p: Layout["edges"][number], dy: number): string {
  const d = p.points.map((q, i) => `${i === 0 ? "M" : "L"}${f(q.x)},${f(q.y + dy)}`).join(" ");
  const style = e.packed ? ' stroke-width="2.5" stroke-dasharray="6 3"' : ' stroke-width="1.2"';
  const label = e.label && p.x !== undefined
    ? `<text x="${f(p.x)}" y="${f(p.y! + dy + SMALL / 2 - 1)}" font-size="${SMALL}" fill="#343a40">${
      escapeHtml(e.label)
    }</text>`
    : "";
  return `<g class="edge${e.packed ? " packed" : ""}"><path d="${d}" fill="none" stroke="#495057"${style} ` +
    `marker-end="url(#arrow)"/>${label}</g>`;
}

function legendSvg(y: number): string {
  const item = (x: number, kind: NodeKind, text: string) =>
    `<rect x="${x}" y="${y}" width="14" height="14" rx="3" fill="${NODE_COLORS[kind].fill}" stroke="${
      NODE_COLORS[kind].stroke
    }"/><text x="${x + 18}" y="${y + 11}" font-size="${SMALL}" text-anchor="start">${text}</text>`;
  const line = (x: number, packed: boolean, text: string) =>
    `<path d="M${x},${y + 7} L${x + 28},${y + 7}" stroke="#495057" ${
      packed ? 'stroke-width="2.5" stroke-dasharray="6 3"' : 'stroke-width="1.2"'
    }/><text x="${x + 32}" y="${y + 11}" font-size="${SMALL}" text-anchor="start">${text}</text>`;
  return `<g class="legend">${item(MARGIN, "binary", "binary op")}${item(MARGIN + 80, "float", "float op")}${
    line(MARGIN + 150, false, "float tensor")
  }${line(MARGIN + 250, true, "bitpacked (int32)")}</g>`;
}

/**
 * Draws a graph as a standalone SVG document: one `<g class="node KIND">` per node (a `<rect>` and its text),
 * one `<g class="edge">` (`"edge packed"` for bitpacked tensors) per edge with its label, and a legend.
 * @example
 * ```ts
 * import { graphSvg } from "./graph.ts";
 * const svg = await graphSvg({
 *   nodes: [
 *     { id: "x", label: "input", kind: "input" },
 *     { id: "q", label: "LceQuantize", kind: "binary" },
 *     { id: "c", label: "LceBconv2d", kind: "binary", detail: "3x3 s1 SAME" },
 *   ],
 *   edges: [{ from: "x", to: "q", label: "1x8x8x32" }, { from: "q", to: "c", label: "1x8x8x1", packed: true }],
 * });
 * console.log(svg.startsWith("<svg"), svg.includes('class="edge packed"')); // true true
 * ```
 */
export async function graphSvg(g: GraphDescription, options: GraphSvgOptions = {}): Promise<string> {
  checkGraph(g);
  const direction = options.direction ?? "TB";
  if (direction !== "TB" && direction !== "LR") {
    throw new RangeError(`graphSvg: direction must be "TB" or "LR", got ${JSON.stringify(direction)}`);
  }
  const l = await layout(g, direction);
  const top = g.title ? TITLE_H : 0;
  const width = Math.max(l.width, 420), height = top + l.height + LEGEND_H;
  const title = g.title
    ? `<text x="${MARGIN}" y="${TITLE_H - 6}" font-size="${FONT + 2}" font-weight="bold" text-anchor="start">${
      escapeHtml(g.title)
    }</text>`
    : "";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f(width)}" height="${f(height)}" viewBox="0 0 ${f(width)} ${
      f(height)
    }" font-family="Helvetica, Arial, sans-serif" text-anchor="middle">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" ' +
    'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#495057"/></marker></defs>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    title,
    ...g.edges.map((e, k) => edgeSvg(e, l.edges[k], top)),
    ...g.nodes.map((n, k) => nodeSvg(n, l.nodes[k], top)),
    legendSvg(top + l.height + 6),
    "</svg>",
  ].join("\n");
}

// Displays (the interpreter's) draw their graph pictures with this file once it is loaded.
setGraphRenderer(graphSvg);
