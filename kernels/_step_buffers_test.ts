import assert from "node:assert/strict";
import { checkArray } from "./_check.ts";
import {
  isReleased,
  lasting,
  STEP_BUFFER_MIN_ELEMENTS,
  stepBufferReuses,
  stepBuffersOpen,
  stepFloat32,
  stepInt32,
  withStepBuffers,
} from "./_step_buffers.ts";

const BIG = STEP_BUFFER_MIN_ELEMENTS;

Deno.test("step buffers: outside a scope, and below the threshold, arrays are fresh and stay", () => {
  const a = stepFloat32(BIG);
  let small!: Float32Array;
  withStepBuffers(() => {
    small = stepFloat32(BIG - 1).fill(3);
  });
  assert.equal(a.length, BIG);
  assert.equal(small.length, BIG - 1);
  assert.equal(small[0], 3);
  assert.equal(stepBuffersOpen(), false);
});

Deno.test("step buffers: a closed scope detaches what it handed out, and the next scope reuses it zeroed", () => {
  const len = BIG + 17;
  let first!: Float32Array, firstInts!: Int32Array;
  withStepBuffers(() => {
    first = stepFloat32(len).fill(7);
    firstInts = stepInt32(len).fill(-1);
  });
  assert.ok(isReleased(first) && isReleased(firstInts));
  assert.equal(first.length, 0);
  withStepBuffers(() => {
    // Both 4-byte arrays of len went back to the free list of len·4 bytes; either may come back.
    const a = stepFloat32(len), b = stepInt32(len), c = stepFloat32(len, true);
    assert.ok(a.every((v) => v === 0) && b.every((v) => v === 0), "a reused array is zeroed");
    assert.equal(c.length, len); // a third is new: only two were free
    assert.notEqual(a.buffer, b.buffer);
  });
});

Deno.test("step buffers: a dirty request may keep the last step's values (the caller overwrites them)", () => {
  const len = BIG + 33;
  withStepBuffers(() => void stepFloat32(len).fill(5));
  withStepBuffers(() => assert.equal(stepFloat32(len, true)[0], 5));
});

Deno.test("step buffers: a scope releases when its function throws; nested or disabled scopes leave it to the outer", () => {
  let kept!: Float32Array;
  assert.throws(() =>
    withStepBuffers(() => {
      kept = stepFloat32(BIG);
      throw new Error("boom");
    }), /boom/);
  assert.ok(isReleased(kept));
  let inner!: Float32Array;
  withStepBuffers(() => {
    withStepBuffers(() => inner = stepFloat32(BIG));
    assert.equal(inner.length, BIG, "a nested scope does not release");
  });
  assert.ok(isReleased(inner));
  let off!: Float32Array;
  withStepBuffers(() => off = stepFloat32(BIG), false);
  assert.equal(off.length, BIG);
});

Deno.test("step buffers: lasting copies a step's array and passes any other through", () => {
  const plain = new Float32Array(BIG);
  assert.equal(lasting(plain), plain);
  let copy!: Float32Array;
  withStepBuffers(() => {
    const a = stepFloat32(BIG).fill(2);
    copy = lasting(a);
    assert.notEqual(copy, a);
  });
  assert.equal(copy.length, BIG);
  assert.equal(copy[BIG - 1], 2);
});

Deno.test("step buffers: the pool keeps only the last step's arrays (a length a step did not use is dropped)", () => {
  const len = BIG + 49;
  withStepBuffers(() => void stepFloat32(len));
  withStepBuffers(() => void stepFloat32(BIG + 50));
  const before = stepBufferReuses();
  withStepBuffers(() => void stepFloat32(len));
  assert.equal(stepBufferReuses(), before, "an array of the first step was still pooled");
  withStepBuffers(() => void stepFloat32(len));
  assert.equal(stepBufferReuses(), before + 1);
});

Deno.test("step buffers: a kernel given a released array names it and says what happened", () => {
  let kept!: Float32Array;
  withStepBuffers(() => void (kept = stepFloat32(BIG)));
  assert.throws(() => checkArray("conv2d: input", kept, Float32Array, BIG), /conv2d: input: its buffer was released/);
});
