/**
 * The third-party packages the library uses, pinned in one place.
 *
 * Library code imports them from here rather than through `deno.json`'s
 * import map, so `mod.ts` also works when imported by URL from a folder
 * that has no onebit configuration. They are `npm:` packages because JSR is
 * not reachable from where onebit is built and tested (see the README).
 * @module
 */
export { Builder } from "npm:flatbuffers@25.2.10";
export * as flexbuffers from "npm:flatbuffers@25.2.10/mjs/flexbuffers.js";
export { convertIndexedToRgb, decode as decodePng } from "npm:fast-png@8.0.0";
export { decode as decodeJpeg } from "npm:jpeg-js@0.4.4";
export { unzipSync, zipSync } from "npm:fflate@0.8.3";

/**
 * h5wasm (HDF5 compiled to WebAssembly, its ESM build with the wasm inlined)
 * is loaded on first use: a 4 MB module that only Keras file I/O needs.
 */
export function loadH5wasm(): Promise<typeof import("npm:h5wasm@0.10.3")> {
  return import("npm:h5wasm@0.10.3");
}

/**
 * Vega and Vega-Lite (chart specs compiled and rendered to SVG, no canvas
 * needed) are loaded on first use: only the pictures need them.
 */
export async function loadVega(): Promise<{
  vega: typeof import("npm:vega@6.4.0");
  vegaLite: typeof import("npm:vega-lite@6.5.0");
}> {
  const [vega, vegaLite] = await Promise.all([import("npm:vega@6.4.0"), import("npm:vega-lite@6.5.0")]);
  return { vega, vegaLite };
}

/**
 * dagre (layered graph layout) is loaded on first use: only the graph
 * picture (viz/graph.ts) needs it.
 */
export async function loadDagre(): Promise<typeof import("npm:@dagrejs/dagre@3.1.3").default> {
  return (await import("npm:@dagrejs/dagre@3.1.3")).default;
}
