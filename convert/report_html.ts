/**
 * The conversion report as a notebook shows it: an HTML table of the layers
 * (binary ones marked, the reason beside every float one, latency binary vs
 * float when measured), the file size next to the float twin's, and the
 * hints. Also the two lines the text report shares with it.
 * @module
 */
import { binaryCell } from "../viz/graph.ts";
import { type Cell, escapeHtml, htmlBundle, htmlTable, type MediaBundle } from "../viz/html.ts";
import type { ConversionReport, LayerReport } from "./convert.ts";

const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/**
 * The file size next to the float twin's: `File 12.3 KiB; float twin 310.2 KiB (25.2x larger)`, or the file size
 * alone when the twin was not converted.
 * @example
 * ```ts
 * import { sizeLine } from "./report_html.ts";
 * console.log(sizeLine({ bytes: 2048, floatBytes: 8192 })); // File 2.0 KiB (2048 bytes); float twin 8.0 KiB (8192 bytes), 4.00x this file
 * ```
 */
export function sizeLine(r: Pick<ConversionReport, "bytes" | "floatBytes">): string {
  const file = `File ${kib(r.bytes)} (${r.bytes} bytes)`;
  if (r.floatBytes === null) return file;
  return `${file}; float twin ${kib(r.floatBytes)} (${r.floatBytes} bytes), ${
    (r.floatBytes / r.bytes).toFixed(2)
  }x this file`;
}

/** How the latencies were measured, one line (empty when not measured). */
export function timingLine(r: ConversionReport): string {
  const s = r.timingSetup;
  if (s === null || r.timings === null) return "";
  const sum = (k: "binaryMs" | "floatMs") => Object.values(r.timings!).reduce((a, t) => a + t[k], 0);
  return `Latency per layer, median of ${s.invokes} invokes with this runtime on this machine (${s.backend}, ` +
    `${s.threads} thread${s.threads === 1 ? "" : "s"}): binary ${sum("binaryMs").toFixed(3)} ms, ` +
    `as float layers ${sum("floatMs").toFixed(3)} ms`;
}

/** A layer's latency cells: binary ms, float ms, and the speed-up (`-` when the layer owns no op). */
export function timingCells(r: ConversionReport, l: LayerReport): string[] {
  const t = r.timings?.[l.layer];
  if (t === undefined) return ["-", "-", "-"];
  const speedup = t.binaryMs > 0 && t.floatMs > 0 ? `${(t.floatMs / t.binaryMs).toFixed(2)}x` : "-";
  return [t.binaryMs.toFixed(4), t.floatMs.toFixed(4), speedup];
}

function opsText(l: LayerReport): string {
  return l.ops.length === 0 ? "(identity)" : l.ops.join(", ") + (l.fusedInto ? ` (fused into ${l.fusedInto})` : "");
}

/** The report's notes (why float, hints) for one layer, as text lines. */
function notesOf(l: LayerReport): string[] {
  return [...(l.reason ? [`not binary: ${l.reason}`] : []), ...l.guidance];
}

/**
 * The report as a Jupyter MIME bundle: an HTML table (layer, class, ops, binary marked, the reason beside
 * every float layer, hints, latency binary vs float when measured), the sizes and the totals; plain text too.
 * @example
 * ```ts
 * import { convert } from "./convert.ts";
 * import { reportBundle } from "./report_html.ts";
 * import { Sequential } from "../models/sequential.ts";
 * import { QuantConv2D } from "../layers/conv.ts";
 * const model = new Sequential([new QuantConv2D(32, 3, { inputQuantizer: "ste_sign", kernelQuantizer: "ste_sign" })], { seed: 1 });
 * const { report } = convert(model, { inputShape: [8, 8, 32] });
 * console.log(String(reportBundle(report)["text/html"]).includes("float twin")); // true
 * ```
 */
export function reportBundle(r: ConversionReport): MediaBundle {
  const timed = r.timings !== null;
  const headers = [
    "layer",
    "class",
    "ops",
    "binary",
    "why float / hints",
    ...(timed ? ["binary ms", "float ms", "speed-up"] : []),
  ];
  const rows: Cell[][] = r.layers.map((l) => [
    l.layer,
    l.className,
    opsText(l),
    binaryCell(l.binary),
    { html: notesOf(l).map(escapeHtml).join("<br>") },
    ...(timed ? timingCells(r, l) : []),
  ]);
  const total = r.binaryMacs + r.floatMacs;
  const macs = `Binary MACs: ${r.binaryMacs} of ${total} (${
    total === 0 ? 0 : (100 * r.binaryMacs / total).toFixed(1)
  }%)`;
  const lines = [sizeLine(r), macs, ...(timed ? [timingLine(r)] : [])];
  const html = `<div class="onebit-conversion">${
    htmlTable(headers, rows, {
      caption: "Conversion report",
      rowClass: (i) => r.layers[i].binary ? "binary" : "float",
      numeric: timed ? [5, 6, 7] : [],
    })
  }${lines.map((s) => `<p>${escapeHtml(s)}</p>`).join("")}</div>`;
  const text = [
    ...r.layers.map((l) =>
      `${l.layer} (${l.className}): ${opsText(l)}, ${l.binary ? "binary" : "float"}${
        notesOf(l).length ? `; ${notesOf(l).join("; ")}` : ""
      }`
    ),
    ...lines,
  ].join("\n");
  return htmlBundle(html, text);
}
