import assert from "node:assert/strict";
import { fuzz } from "./fuzz.ts";

Deno.test("fuzz: 3000 mutated model files load and run or fail with a typed model error", () => {
  const report = fuzz(Deno.env.get("ONEBIT_QUICK") === "1" ? 500 : 3000, 20261122);
  // The mutations must exercise both outcomes, or the fuzzer tests nothing.
  assert(report.loaded > 0 && report.invoked > 0, JSON.stringify(report));
  assert(Object.keys(report.errors).length >= 2, JSON.stringify(report));
  console.log(JSON.stringify(report));
});
