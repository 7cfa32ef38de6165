/**
 * The graph picture of a `.tflite` file (`deno task inspect --svg`): its
 * {@link modelGraph} drawn by `viz/graph.ts`. A file of its own so that the
 * summary, which the interpreter's display uses, needs no `npm:` package.
 * @module
 */
import { graphSvg } from "../viz/graph.ts";
import { readModel } from "./reader.ts";
import { modelGraph } from "./summary.ts";

/**
 * The graph picture of a `.tflite` file's bytes as an SVG document (see `modelGraph` in summary.ts and `viz/graph.ts`).
 * @example
 * ```ts
 * import { modelSvg } from "./model_svg.ts";
 * import { convert } from "../convert/convert.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * const model = new Sequential([new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" })], { seed: 1 });
 * const svg = await modelSvg(convert(model, { inputShape: [8, 8, 32] }).bytes);
 * console.log(svg.includes("LceBconv2d")); // true
 * ```
 */
export function modelSvg(bytes: Uint8Array): Promise<string> {
  return graphSvg(modelGraph(readModel(bytes)));
}
