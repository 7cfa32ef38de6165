/**
 * The short form of `deno task fuzz:parsers` (tests/fuzz_parsers.ts): a few
 * hundred seeded mutations of checkpoints, Keras configs, .keras/.h5 files,
 * images and .npy arrays, each in a worker under a time limit; every one
 * accepted or refused with a typed error: no untyped errors, crashes or hangs.
 */
import assert from "node:assert/strict";
import { classifyError, fuzzParsers } from "./fuzz_parsers.ts";

Deno.test("fuzz parsers: safetensors, Keras config, .keras/.h5, PNG/JPEG, .npy: typed errors only, no crash, no hang", async () => {
  const quick = Deno.env.get("ONEBIT_QUICK") === "1";
  const small = await fuzzParsers({
    cases: quick ? 40 : 80,
    seed: 20261206,
    parsers: ["safetensors", "config", "image", "npy"],
    slack: 4, // the test command shares the machine: a real hang still shows at 20 s
  });
  const h5 = await fuzzParsers({ cases: quick ? 6 : 16, seed: 20261206, parsers: ["keras"], slack: 2 });
  const report = { ...small, ...h5 };
  console.log(JSON.stringify(Object.fromEntries(Object.entries(report).map(([k, { bad: _, ...t }]) => [k, t]))));
  for (const [parser, t] of Object.entries(report)) {
    assert.deepEqual(t.bad, [], parser);
    // Both outcomes happen, or the mutations test nothing.
    assert.ok(t.typed > 0 && t.accepted > 0, `${parser}: ${JSON.stringify(t)}`);
  }
});

Deno.test("fuzz parsers: the classifier tells a checked error from the engine's", () => {
  assert.equal(classifyError("RangeError", "not a valid safetensors file: header length 9 exceeds the file"), "typed");
  assert.equal(classifyError("TypeError", "Cannot read properties of undefined (reading 'name')"), "untyped");
  assert.equal(classifyError("TypeError", "refs.map is not a function"), "untyped");
  assert.equal(classifyError("RangeError", "Array buffer allocation failed"), "untyped");
  assert.equal(classifyError("SyntaxError", "Unexpected token"), "untyped");
  assert.equal(classifyError("Error", "something"), "untyped");
  assert.equal(
    classifyError("ImageError", "is a truncated PNG image (Offset is outside the bounds of the DataView)"),
    "typed",
  );
});
