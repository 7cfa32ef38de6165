/** Argument checks of the kernel APIs: TypeError/RangeError naming the value and what it must be. @module */

import { isReleased, releasedError } from "./_step_buffers.ts";

const INT32_MAX = 2147483647;

export function checkInt(name: string, v: unknown, min: number, max = INT32_MAX): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`${name} must be an integer, got ${String(v)}`);
  }
  if (v < min || v > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}

export function checkArray<T>(name: string, v: unknown, ctor: { new (n: number): T; name: string }, length: number): T {
  if (!(v instanceof ctor)) {
    throw new TypeError(
      `${name} must be a ${ctor.name}, got ${
        v === null ? "null" : typeof v === "object" ? v.constructor.name : typeof v
      }`,
    );
  }
  const len = (v as unknown as { length: number }).length;
  if (len !== length) {
    if (len === 0 && isReleased(v as unknown as { buffer: ArrayBufferLike })) throw releasedError(name, length);
    throw new RangeError(`${name} must have ${length} elements, got ${len}`);
  }
  return v;
}
