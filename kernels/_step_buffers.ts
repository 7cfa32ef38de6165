/**
 * Step-scoped reuse of big arrays: inside {@link withStepBuffers} (one training step), the big outputs of kernels and
 * ops come from a free list keyed by byte length instead of fresh memory, and every array handed out goes back to
 * the list when the scope closes. A fresh multi-megabyte array costs several times a reused one inside a long `fit`
 * (a max-pool gradient of 64×26×26×32: ~2.0 ms fresh, ~0.3 ms reused), so this is most of a small CNN's step.
 *
 * Stale references fail loudly: at the scope's end each buffer is moved to the free list with
 * `ArrayBuffer.prototype.transfer()` (zero-copy for the same length), which detaches the old ArrayBuffer, so an array
 * or tensor made during the step and kept past it has length 0 and never shows the next step's values
 * ({@link releasedError} is the message the tensor and kernel checks give). tfjs's `tidy()` has the same contract.
 * Outside a scope every request is a plain `new`, as before.
 * @module
 */

/**
 * Arrays of fewer elements are plain `new` even inside a scope: small ones are cheap and often kept. From 4 Ki
 * floats (16 KB) up a pooled array costs a fifth to a half of a fresh one (bench/step_buffers.ts); 4 Ki instead of
 * 64 Ki made a whole MNIST step 0.93x.
 */
export const STEP_BUFFER_MIN_ELEMENTS = 1 << 12;

const free = new Map<number, ArrayBuffer[]>();
const handedOut: ArrayBuffer[] = [];
/** Every ArrayBuffer the pool handed out (and its transferred successors): what {@link lasting} must copy. */
const pooled = new WeakSet<ArrayBuffer>();
let open = false;
let reuses = 0;

/**
 * Runs `f` as one training step whose big arrays (the tensors of ops and gradients, from 4Ki values) come from a
 * pool that the next step reuses, as `fit` runs each batch (its `reuseBuffers`): tfjs's `tidy()` for a custom
 * training loop. When `f` returns or throws, every array handed out during it goes back to the pool and its old
 * ArrayBuffer is detached (length 0), so a tensor kept past the step throws when read: return plain values, or
 * copy what you keep (`tensor.data.slice()`). Variables keep their values (`assign` copies in). A nested call (or
 * `enabled` false) just runs `f`: the outer scope releases. Call {@link clearStepBuffers} when the loop ends.
 * @example
 * ```ts
 * import { clearStepBuffers, ops, Tensor, valueAndGrads, Variable, withStepBuffers } from "../mod.ts";
 * const w = new Variable(Tensor.from(Array.from({ length: 8192 }, (_, i) => i % 3)));
 * for (let step = 0; step < 3; step++) {
 *   const loss = withStepBuffers(() => {
 *     const { value, grads } = valueAndGrads(() => ops.sum(ops.mul(w, w)), [w]);
 *     w.assign(ops.sub(w, ops.mul(grads[0], Tensor.from(0.25)))); // w ← w - 0.25·2w = w / 2
 *     return value.data[0]; // a number: read inside the step
 *   });
 *   console.log(loss); // 13651, then 3412.75, then 853.1875
 * }
 * clearStepBuffers();
 * ```
 */
export function withStepBuffers<T>(f: () => T, enabled = true): T {
  if (open || !enabled) return f();
  open = true;
  try {
    return f();
  } finally {
    open = false;
    release();
  }
}

/**
 * Moves this step's arrays to the free list, which then holds exactly them: what an earlier step left and this one
 * did not take is dropped, so the pool never holds more than one step's big intermediates.
 */
function release(): void {
  free.clear();
  for (const buffer of handedOut) {
    const moved = buffer.transfer(); // detaches `buffer`: a kept view reads length 0, never recycled values
    pooled.add(moved);
    const list = free.get(moved.byteLength);
    if (list) list.push(moved);
    else free.set(moved.byteLength, [moved]);
  }
  handedOut.length = 0;
}

/** A buffer of `bytes` from the free list (or new), recorded for release; `reused` says whether it may be dirty. */
function take(bytes: number): { buffer: ArrayBuffer; reused: boolean } {
  const buffer = free.get(bytes)?.pop();
  const out = buffer ?? new ArrayBuffer(bytes);
  handedOut.push(out);
  if (buffer === undefined) pooled.add(out);
  else reuses++;
  return { buffer: out, reused: buffer !== undefined };
}

/**
 * A Float32Array of `length` elements: from the step pool while a scope is open and `length` is at least
 * {@link STEP_BUFFER_MIN_ELEMENTS}, else `new Float32Array(length)`. Zeroed, unless `dirty` (the caller overwrites
 * every element) lets a reused array keep the last step's values.
 */
export function stepFloat32(length: number, dirty = false): Float32Array {
  if (!open || length < STEP_BUFFER_MIN_ELEMENTS) return new Float32Array(length);
  const { buffer, reused } = take(length * 4);
  const a = new Float32Array(buffer);
  return reused && !dirty ? a.fill(0) : a;
}

/** As {@link stepFloat32} for an Int32Array (a max-pool's argmax). */
export function stepInt32(length: number, dirty = false): Int32Array {
  if (!open || length < STEP_BUFFER_MIN_ELEMENTS) return new Int32Array(length);
  const { buffer, reused } = take(length * 4);
  const a = new Int32Array(buffer);
  return reused && !dirty ? a.fill(0) : a;
}

/** As {@link stepFloat32} for a Uint32Array (bitpacked words: a binary convolution's packed input and im2col). */
export function stepUint32(length: number, dirty = false): Uint32Array {
  if (!open || length < STEP_BUFFER_MIN_ELEMENTS) return new Uint32Array(length);
  const { buffer, reused } = take(length * 4);
  const a = new Uint32Array(buffer);
  return reused && !dirty ? a.fill(0) : a;
}

/**
 * `a` itself, or a copy when `a` is a step buffer (released when the step ends): for state that outlives a step
 * (an optimizer's slots).
 */
export function lasting<T extends Float32Array | Float64Array>(a: T): T {
  return pooled.has(a.buffer as ArrayBuffer) ? a.slice() as T : a;
}

/** How many arrays the pool has handed out again since the process started (tests: the pool was exercised). */
export function stepBufferReuses(): number {
  return reuses;
}

/** Whether a step scope is open (tests; a caller that must keep an array past the step copies it). */
export function stepBuffersOpen(): boolean {
  return open;
}

/**
 * Drops the pool's free arrays (the last step's big intermediates, see {@link withStepBuffers}): `fit` does when
 * it ends; a custom training loop calls it after its last step.
 */
export function clearStepBuffers(): void {
  free.clear();
}

/** Bytes of the arrays the free list holds (the last step's big intermediates; 0 after {@link clearStepBuffers}). */
export function stepBuffersHeldBytes(): number {
  let bytes = 0;
  for (const [length, list] of free) bytes += length * list.length;
  return bytes;
}

/** The error for an array whose buffer a closed step took back (length 0 where `expected` values were due). */
export function releasedError(what: string, expected: number): Error {
  return new Error(
    `${what}: its buffer was released at the end of a training step (${expected} values expected, the array is ` +
      "detached); copy it (`tensor.data.slice()` or ops on a copy) inside the step to keep it, or train with " +
      "reuseBuffers: false",
  );
}

/** Whether `a` is a view of a detached ArrayBuffer (a step's released array). */
export function isReleased(a: { buffer: ArrayBufferLike }): boolean {
  return (a.buffer as ArrayBuffer).detached === true;
}
