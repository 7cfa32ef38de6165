/**
 * Time per op kind of training steps, forward and backward, from the tape:
 * an op's forward time is the time since the previous recorded op (so work
 * done without recording, such as BatchNormalization's moving statistics,
 * counts towards the next op), its backward time that of its gradient and
 * of summing the gradient into its inputs'.
 * @module
 */
import { type OpTimer, setOpTimer } from "./tape.ts";

/** One op kind's totals. */
export interface OpTimes {
  /** Milliseconds of forward passes. */
  forwardMs: number;
  /** Milliseconds of backward passes. */
  backwardMs: number;
  /** Forward calls recorded. */
  calls: number;
}

/**
 * Collects {@link OpTimes} per op kind while installed on the tape.
 *
 * @example
 * ```ts
 * import { TrainingProfile } from "./profile.ts";
 * import { valueAndGrads } from "./tape.ts";
 * import { Tensor } from "./tensor.ts";
 * import * as ops from "./ops.ts";
 * const x = Tensor.from([1, 2, 3]);
 * const profile = new TrainingProfile();
 * profile.during(() => valueAndGrads(() => ops.sum(ops.mul(x, x)), [x]));
 * console.log([...profile.ops.keys()]); // ["mul", "sum"]
 * ```
 */
export class TrainingProfile implements OpTimer {
  /** Totals by op name (customGradient calls, quantizers among them, as "customGradient"). */
  readonly ops: Map<string, OpTimes> = new Map();
  #last = 0;

  /** Runs `f` with this profile installed on the tape (the previous one is put back after). */
  during<T>(f: () => T): T {
    const previous = setOpTimer(this);
    try {
      return f();
    } finally {
      setOpTimer(previous);
    }
  }

  /** The tape starts a forward pass. */
  start(): void {
    this.#last = performance.now();
  }

  /** An op was recorded: the time since the previous one is its forward time. */
  forward(op: string): void {
    const now = performance.now();
    const t = this.#entry(op);
    t.forwardMs += now - this.#last;
    t.calls++;
    this.#last = now;
  }

  /** A node's backward pass took `ms`. */
  backward(op: string, ms: number): void {
    this.#entry(op).backwardMs += ms;
  }

  /** Forward plus backward milliseconds over every op. */
  totalMs(): number {
    let sum = 0;
    for (const t of this.ops.values()) sum += t.forwardMs + t.backwardMs;
    return sum;
  }

  /**
   * A table, heaviest op first: forward, backward and calls divided by `steps` (per training step), with each op's
   * share of the total.
   */
  table(steps = 1): string {
    const total = this.totalMs();
    const rows = [...this.ops].sort(([, a], [, b]) => b.forwardMs + b.backwardMs - a.forwardMs - a.backwardMs);
    const head = `${"op".padEnd(20)} ${"fwd ms".padStart(8)} ${"bwd ms".padStart(8)} ${"calls".padStart(6)} share`;
    const lines = rows.map(([op, t]) =>
      `${op.padEnd(20)} ${(t.forwardMs / steps).toFixed(2).padStart(8)} ${
        (t.backwardMs / steps).toFixed(2).padStart(8)
      } ${(t.calls / steps).toFixed(0).padStart(6)} ${(100 * (t.forwardMs + t.backwardMs) / total).toFixed(1)}%`
    );
    return [head, ...lines].join("\n");
  }

  #entry(op: string): OpTimes {
    let t = this.ops.get(op);
    if (t === undefined) this.ops.set(op, t = { forwardMs: 0, backwardMs: 0, calls: 0 });
    return t;
  }
}
