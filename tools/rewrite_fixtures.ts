/**
 * Re-encodes every fixture with onebit's TFLite writer (read, then write),
 * so LCE's and LiteRT's interpreters can load files we wrote.
 *
 *     deno run -A tools/rewrite_fixtures.ts FROM_DIR TO_DIR
 */
import { readModel } from "../tflite/reader.ts";
import { writeModel } from "../tflite/writer.ts";

const [from, to] = Deno.args;
if (!from || !to) throw new TypeError("usage: rewrite_fixtures.ts FROM_DIR TO_DIR");
Deno.mkdirSync(to, { recursive: true });
for (const e of Deno.readDirSync(from)) {
  if (e.name.endsWith(".tflite")) {
    Deno.writeFileSync(`${to}/${e.name}`, writeModel(readModel(Deno.readFileSync(`${from}/${e.name}`))));
  }
}
Deno.copyFileSync(`${from}/manifest.json`, `${to}/manifest.json`);
