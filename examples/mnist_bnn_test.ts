/**
 * examples/mnist_bnn.ts on a slice of MNIST: `--plot` writes the training
 * curves as a valid SVG (a point per epoch, train and test), atomically (no
 * temporary file left beside it).
 */
import assert from "node:assert/strict";
import { marksOf, parseSvg, textsOf } from "../viz/_test_svg.ts";

Deno.test("mnist_bnn --plot curves.svg writes the training curves", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "-A", new URL("./mnist_bnn.ts", import.meta.url).pathname],
        ...["--train", "256", "--test", "128", "--epochs", "2", "--out", `${dir}/m.tflite`, "--plot", `${dir}/c.svg`],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text.slice(-2000));
    assert.match(text, /wrote .*c\.svg \(training curves\)/);
    const svg = parseSvg(await Deno.readTextFile(`${dir}/c.svg`));
    assert.equal(marksOf(svg, "mark-symbol role-mark").length, 2 * 2 * 2); // loss, accuracy x train, test x 2 epochs
    assert.deepEqual(textsOf(svg, "role-title-text"), ["loss", "accuracy"]);
    assert.deepEqual(textsOf(svg, "role-legend-label"), ["train", "validation"]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["c.svg", "m.tflite"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
