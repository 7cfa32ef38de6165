/// <reference lib="dom" />
/**
 * The web example in a real browser: `examples/web` (the converted MNIST BNN,
 * bundled with onebit by `deno bundle`, on the WebAssembly kernels) served on
 * loopback and opened in headless Chromium (Debian's `chromium`, installed by
 * `tools/setup.sh --cross`; driven by npm `puppeteer-core`). The page's
 * predictions for the bundled test digits must equal the Deno interpreter's
 * on the same file (labels exactly, scores to float rounding), on the wasm
 * and the native backend.
 */
import assert from "node:assert/strict";
import puppeteer from "npm:puppeteer-core@24.10.0";
import { Interpreter } from "../mod.ts";
import { classify, decodeDigits } from "../examples/web/classify.ts";
import { buildSite, serveSite } from "../examples/web/serve.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "examples/web in headless Chromium: wasm kernels, the Deno interpreter's predictions on every bundled digit",
  ignore: CHROMIUM === undefined && Deno.env.get("CI") !== "true",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.ok(CHROMIUM, "chromium is not installed: run 'bash tools/setup.sh --cross'");
    const dir = await Deno.makeTempDir({ prefix: "onebit-web-" });
    const server = serveSite(dir);
    const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"] });
    try {
      await buildSite(dir);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      await page.waitForFunction(() => document.body.dataset.ready || document.body.dataset.error, { timeout: 60_000 });
      const seen = await page.evaluate(() => ({
        ready: document.body.dataset.ready,
        error: document.body.dataset.error,
        backend: document.body.dataset.backend,
        digits: [...document.querySelectorAll<HTMLElement>("#digits li")].map((li) => ({
          label: Number(li.dataset.label),
          truth: Number(li.dataset.truth),
          scores: JSON.parse(li.dataset.scores!) as number[],
        })),
      }));
      assert.equal(seen.error, undefined, `the page failed: ${seen.error}`);
      assert.deepEqual(errors, []);
      assert.equal(seen.backend, "wasm");
      const model = await Deno.readFile(new URL("../examples/web/mnist_bnn.tflite", import.meta.url));
      const json = JSON.parse(await Deno.readTextFile(new URL("../examples/web/digits.json", import.meta.url)));
      const digits = decodeDigits(json);
      assert.equal(seen.digits.length, digits.length);
      for (const backend of ["wasm", "native"] as const) {
        const it = Interpreter.fromBytes(model, { backend });
        digits.forEach((d, i) => {
          const want = classify(it, d.pixels), got = seen.digits[i];
          assert.equal(got.truth, d.label);
          assert.equal(got.label, want.label, `digit ${d.label} on ${backend}: page ${got.label}, Deno ${want.label}`);
          got.scores.forEach((s, k) => assert.ok(Math.abs(s - want.scores[k]) <= 1e-4 * Math.max(1, Math.abs(s))));
        });
      }
      const correct = seen.digits.filter((d) => d.label === d.truth).length;
      console.log(`headless Chromium, ${seen.backend} kernels: ${correct} of ${seen.digits.length} digits right`);
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
