/// <reference lib="dom" />
/**
 * The page's script (bundled with onebit by `examples/web/serve.ts`): loads
 * the converted MNIST BNN on the WebAssembly kernels, classifies the bundled
 * test digits, and whatever is drawn on the canvas.
 * @module
 */
import { Interpreter } from "../../mod.ts";
import { classify, decodeDigits } from "./classify.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $("status");

try {
  const [model, digits] = await Promise.all([
    fetch("./mnist_bnn.tflite").then((r) => r.arrayBuffer()),
    fetch("./digits.json").then((r) => r.json()).then(decodeDigits),
  ]);
  const it = Interpreter.fromBytes(new Uint8Array(model));
  status.textContent = `model loaded: ${it.backend} kernels`;
  document.body.dataset.backend = it.backend;

  // The bundled digits, each drawn small with its prediction.
  const list = $("digits");
  for (const d of digits) {
    const { label, scores } = classify(it, d.pixels);
    const item = document.createElement("li");
    item.dataset.label = String(label);
    item.dataset.scores = JSON.stringify(scores);
    item.dataset.truth = String(d.label);
    const c = document.createElement("canvas");
    c.width = c.height = 28;
    const img = c.getContext("2d")!.createImageData(28, 28);
    d.pixels.forEach((v, i) => img.data.set([v, v, v, 255], 4 * i));
    c.getContext("2d")!.putImageData(img, 0, 0);
    item.append(c, ` → ${label}`);
    list.append(item);
  }

  // Drawing: white ink on black, read back at 28×28 (the browser averages the pixels).
  const pad = $<HTMLCanvasElement>("pad"), ctx = pad.getContext("2d")!;
  const clear = () => {
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let drawing = false;
  const at = (e: PointerEvent) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener("pointerdown", (e) => {
    drawing = true;
    ctx.beginPath();
    ctx.moveTo(...(at(e) as [number, number]));
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineTo(...(at(e) as [number, number]));
    ctx.strokeStyle = "white";
    ctx.lineWidth = 22;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.stroke();
  });
  addEventListener("pointerup", () => {
    if (!drawing) return;
    drawing = false;
    const small = document.createElement("canvas");
    small.width = small.height = 28;
    const s = small.getContext("2d")!;
    s.drawImage(pad, 0, 0, 28, 28);
    const rgba = s.getImageData(0, 0, 28, 28).data;
    const pixels = Uint8Array.from({ length: 784 }, (_, i) => rgba[4 * i]);
    $("drawn").textContent = String(classify(it, pixels).label);
  });
  $("clear").addEventListener("click", () => {
    clear();
    $("drawn").textContent = "–";
  });
  document.body.dataset.ready = "1";
} catch (e) {
  status.textContent = `error: ${(e as Error).message}`;
  document.body.dataset.error = (e as Error).message;
}
