/**
 * The graph picture: a well-formed SVG (parsed by an XML parser that rejects
 * errors), one box per node coloured by its kind, edges labelled, bitpacked
 * tensors dashed, the layout's order (top to bottom, or left to right), and
 * bad descriptions refused with the value named.
 */
import assert from "node:assert/strict";
import { classOf, elements, groups, parseSvg, type SvgElement } from "./_test_svg.ts";
import { type GraphDescription, graphSvg, NODE_COLORS } from "./graph.ts";

/** A binary block with a residual: input -> quantize -> bconv -> add <- input, then the output. */
const BLOCK: GraphDescription = {
  title: 'block <1> & "co"',
  nodes: [
    { id: "x", label: "input", kind: "input" },
    { id: "q", label: "LceQuantize", kind: "binary" },
    { id: "c", label: "LceBconv2d", kind: "binary", detail: "32x3x3x1, RELU" },
    { id: "a", label: "ADD", kind: "float" },
    { id: "y", label: "out<put>", kind: "output" },
  ],
  edges: [
    { from: "x", to: "q", label: "1x8x8x32" },
    { from: "q", to: "c", label: "1x8x8x1 int32", packed: true },
    { from: "c", to: "a", label: "1x8x8x32" },
    { from: "x", to: "a", label: "1x8x8x32" },
    { from: "a", to: "y", label: "1x8x8x32" },
  ],
};

Deno.test("graphSvg: well-formed SVG with one coloured box per node and a labelled path per edge", async () => {
  const doc = parseSvg(await graphSvg(BLOCK));
  const nodes = groups(doc, "node ");
  assert.deepEqual(nodes.map((g) => g.getAttribute("data-id")), ["x", "q", "c", "a", "y"]);
  for (const [k, g] of nodes.entries()) {
    const kind = BLOCK.nodes[k].kind;
    assert.equal(classOf(g), `node ${kind}`);
    const [rect] = elements(g, "rect");
    assert.equal(rect.getAttribute("fill"), NODE_COLORS[kind].fill);
    assert.equal(rect.getAttribute("stroke"), NODE_COLORS[kind].stroke);
    const texts = elements(g, "text").map((t) => t.textContent);
    assert.deepEqual(texts, [BLOCK.nodes[k].label, ...(BLOCK.nodes[k].detail ? [BLOCK.nodes[k].detail] : [])]);
  }
  assert.notEqual(NODE_COLORS.binary.fill, NODE_COLORS.float.fill);
  const edges = groups(doc, "edge");
  assert.equal(edges.length, BLOCK.edges.length);
  for (const [k, g] of edges.entries()) {
    assert.equal(elements(g, "text")[0].textContent, BLOCK.edges[k].label);
    const path = elements(g, "path")[0];
    assert.match(path.getAttribute("d")!, /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/);
    assert.equal(classOf(g), BLOCK.edges[k].packed ? "edge packed" : "edge");
    assert.equal(path.getAttribute("stroke-dasharray"), BLOCK.edges[k].packed ? "6 3" : null);
  }
  const legend = elements(doc, "g").find((g) => classOf(g) === "legend")!;
  assert.deepEqual(elements(legend, "text").map((t) => t.textContent), [
    "binary op",
    "float op",
    "float tensor",
    "bitpacked (int32)",
  ]);
  assert.equal(elements(doc, "text")[0].textContent, BLOCK.title);
});

/** The centre of a node's box. */
function centres(doc: SvgElement): Map<string, { x: number; y: number }> {
  return new Map(
    groups(doc, "node ").map((g) => {
      const r = elements(g, "rect")[0], n = (a: string) => Number(r.getAttribute(a));
      return [g.getAttribute("data-id")!, { x: n("x") + n("width") / 2, y: n("y") + n("height") / 2 }];
    }),
  );
}

Deno.test("graphSvg: the layout orders a chain along the direction and keeps boxes apart", async () => {
  for (const direction of ["TB", "LR"] as const) {
    const c = centres(parseSvg(await graphSvg(BLOCK, { direction })));
    const along = (id: string) => direction === "TB" ? c.get(id)!.y : c.get(id)!.x;
    for (const e of BLOCK.edges) assert.ok(along(e.from) < along(e.to), `${direction}: ${e.from} before ${e.to}`);
  }
  // Every edge's path starts at its source box and ends at its target box (dagre's routes, drawn as given).
  const svg = await graphSvg(BLOCK);
  const doc = parseSvg(svg);
  const boxes = new Map(
    groups(doc, "node ").map((g) => {
      const r = elements(g, "rect")[0], n = (a: string) => Number(r.getAttribute(a));
      return [g.getAttribute("data-id")!, {
        x0: n("x"),
        y0: n("y"),
        x1: n("x") + n("width"),
        y1: n("y") + n("height"),
      }];
    }),
  );
  const onBorder = (p: number[], id: string) => {
    const b = boxes.get(id)!;
    return p[0] >= b.x0 - 0.2 && p[0] <= b.x1 + 0.2 && p[1] >= b.y0 - 0.2 && p[1] <= b.y1 + 0.2;
  };
  groups(doc, "edge").forEach((g, k) => {
    const pts = [...elements(g, "path")[0].getAttribute("d")!.matchAll(/([\d.]+),([\d.]+)/g)].map((
      m,
    ) => [Number(m[1]), Number(m[2])]);
    assert.ok(onBorder(pts[0], BLOCK.edges[k].from), `edge ${k} starts at ${BLOCK.edges[k].from}`);
    assert.ok(onBorder(pts.at(-1)!, BLOCK.edges[k].to), `edge ${k} ends at ${BLOCK.edges[k].to}`);
  });
});

Deno.test("graphSvg: bad descriptions are refused, naming the value", async () => {
  const node = { id: "a", label: "A", kind: "float" } as const;
  await assert.rejects(graphSvg({ nodes: [node, node], edges: [] }), /node id "a" appears twice; ids must be unique/);
  await assert.rejects(
    graphSvg({ nodes: [{ ...node, id: 3 as never }], edges: [] }),
    /a node id must be a string, got 3/,
  );
  // An empty graph is a legend alone.
  assert.equal(groups(parseSvg(await graphSvg({ nodes: [], edges: [] })), "node ").length, 0);
  await assert.rejects(
    graphSvg({ nodes: [{ id: "a", label: "A", kind: "fp16" as never }], edges: [] }),
    /node "a" has kind "fp16"; kinds are binary,float,input,output/,
  );
  await assert.rejects(
    graphSvg({ nodes: [node], edges: [{ from: "a", to: "b" }] }),
    (e) => e instanceof RangeError && /edge a -> b names no node "b"/.test(e.message),
  );
  await assert.rejects(
    graphSvg({ nodes: [node], edges: [] }, { direction: "BT" as never }),
    (e) => e instanceof RangeError && /direction must be "TB" or "LR", got "BT"/.test(e.message),
  );
});

Deno.test("parseSvg (the helper these tests stand on) rejects malformed XML", () => {
  assert.throws(() => parseSvg("<svg><g></svg>"), /invalid image\/svg\+xml/);
  assert.throws(() => parseSvg('<svg><text x="1" x="2">a</text></svg>'), /invalid image\/svg\+xml/);
  assert.throws(() => parseSvg("<svg><text>a & b</text></svg>"), /invalid image\/svg\+xml/);
});
