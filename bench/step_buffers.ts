/**
 * Fresh vs pooled (kernels/_step_buffers.ts) cost of a big output per training step, by size: allocate, write every
 * element once; pooled zeroed and pooled dirty. `deno run -A bench/step_buffers.ts`
 * @module
 */
import { stepFloat32, withStepBuffers } from "../kernels/_step_buffers.ts";
const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
function step(n: number, count: number, pooled: boolean, dirty: boolean) {
  const body = () => {
    let s = 0;
    for (let k = 0; k < count; k++) {
      const a = pooled ? stepFloat32(n, dirty) : new Float32Array(n);
      a.fill(k + 1); // the kernel's writes
      s += a[n - 1];
    }
    return s;
  };
  return pooled ? withStepBuffers(body) : body();
}
for (const n of [4096, 16384, 65536, 262144, 1 << 20, 1 << 22]) {
  const count = Math.max(4, Math.min(64, (1 << 24) / n));
  const t = { fresh: [] as number[], zeroed: [] as number[], dirty: [] as number[] };
  for (let r = 0; r < 40; r++) {
    for (
      const [k, pooled, dirty] of [["fresh", false, false], ["zeroed", true, false], ["dirty", true, true]] as const
    ) {
      const t0 = performance.now();
      step(n, count, pooled, dirty);
      t[k].push((performance.now() - t0) / count * 1000);
    }
  }
  console.log(
    `${n} floats: fresh ${median(t.fresh).toFixed(1)} µs, pooled zeroed ${
      median(t.zeroed).toFixed(1)
    } µs, pooled dirty ${median(t.dirty).toFixed(1)} µs per array`,
  );
}
