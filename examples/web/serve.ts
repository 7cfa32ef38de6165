/**
 * `deno task web`: bundles `app.ts` with onebit for the browser
 * (`deno bundle`), puts it beside the page, the model, the digits and the
 * WebAssembly kernels, and serves the folder on loopback.
 *
 *     deno task web [--port 8000]
 * @module
 */
import { parseArgs } from "node:util";

const here = new URL("./", import.meta.url);

/** Builds the site into `dir`: index.html, app.js (bundled), the model, the digits, wasm/*.wasm. */
export async function buildSite(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/wasm`, { recursive: true });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", new URL("app.ts", here).pathname, "-o", `${dir}/app.js`],
    env: { NO_COLOR: "1" },
  }).output();
  if (out.code !== 0) throw new Error(`deno bundle failed: ${new TextDecoder().decode(out.stderr)}`);
  for (const f of ["index.html", "mnist_bnn.tflite", "digits.json"]) {
    await Deno.copyFile(new URL(f, here), `${dir}/${f}`);
  }
  for (const f of ["onebit.wasm", "onebit_relaxed.wasm"]) {
    await Deno.copyFile(new URL(`../../kernels/wasm/${f}`, here), `${dir}/wasm/${f}`);
  }
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  json: "application/json",
  wasm: "application/wasm",
  tflite: "application/octet-stream",
};

/** Serves `dir` on 127.0.0.1 (port 0: any free one). */
export function serveSite(dir: string, port = 0): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    let path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    if (path.endsWith("/")) path += "index.html";
    try {
      const body = await Deno.readFile(`${dir}${path}`);
      return new Response(body, { headers: { "content-type": TYPES[path.split(".").pop()!] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string", default: "8000" } } });
  const dir = await Deno.makeTempDir({ prefix: "onebit-web-" });
  await buildSite(dir);
  const server = serveSite(dir, Number(values.port));
  console.log(`onebit web example: http://127.0.0.1:${server.addr.port}/ (Ctrl-C to stop)`);
}
