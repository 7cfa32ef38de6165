/**
 * Reading Keras layer configs (snake_case, as `to_json()` writes them) into
 * constructor options, with errors that name the layer, the key and what is
 * accepted; for the static `fromConfig` of a layer class.
 * @module
 */
import type { Config } from "./layer.ts";

/** A typed view of one layer's config; every getter checks the value's type. */
export class ConfigReader {
  /**
   * `cls`: the class name errors start with; `c`: the config (an object,
   * channels_last, else a TypeError or RangeError).
   */
  constructor(readonly cls: string, readonly c: Config) {
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      throw new TypeError(`${cls}: a config is an object of options, got ${JSON.stringify(c)}`);
    }
    if (c.data_format !== undefined && c.data_format !== "channels_last") {
      throw new RangeError(
        `${cls} "${c.name}": data_format ${c.data_format} is not supported; onebit is channels_last`,
      );
    }
  }

  #fail(key: string, want: string): never {
    throw new TypeError(`${this.cls} "${this.c.name}": ${key} must be ${want}, got ${JSON.stringify(this.c[key])}`);
  }

  /** The layer's name (undefined: a default name). */
  get name(): string | undefined {
    const v = this.c.name;
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : this.#fail("name", "a string");
  }

  /** A finite number (`fallback` when the key is absent or null); else a TypeError. */
  number(key: string, fallback: number): number {
    const v = this.c[key] ?? fallback;
    return typeof v === "number" && Number.isFinite(v) ? v : this.#fail(key, "a number");
  }

  /** A finite number, or null when the key is absent or null; else a TypeError. */
  nullableNumber(key: string): number | null {
    const v = this.c[key];
    return v === undefined || v === null ? null : this.number(key, 0);
  }

  /** true or false (`fallback` when absent or null); else a TypeError. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.c[key] ?? fallback;
    return typeof v === "boolean" ? v : this.#fail(key, "true or false");
  }

  /** One of `allowed` (`fallback` when absent or null); else a TypeError listing them. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.c[key] ?? fallback;
    return allowed.includes(v as T) ? v as T : this.#fail(key, `one of ${allowed.join(", ")}`);
  }

  /** Keras's padding: "same" or "valid" (default). */
  padding(): "same" | "valid" {
    return this.oneOf("padding", ["same", "valid"] as const, "valid");
  }

  /** An integer, or Keras's one-element list for 1-D sizes. */
  int(key: string, fallback: number): number {
    const raw = this.c[key];
    const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw ?? fallback;
    return Number.isInteger(v) ? v as number : this.#fail(key, "an integer");
  }

  /** An integer or a list of `n` integers (Keras's kernel_size, strides, ...). */
  ints(key: string, n: number, fallback: number): number[] {
    const v = this.c[key] ?? fallback;
    if (Number.isInteger(v)) return Array(n).fill(v);
    if (Array.isArray(v) && v.length === n && v.every(Number.isInteger)) return v as number[];
    return this.#fail(key, `an integer or a list of ${n} integers`);
  }

  /** An integer or a list of two (Keras's 2-D kernel_size, strides, …), as a pair. */
  pair(key: string, fallback: number): [number, number] {
    return this.ints(key, 2, fallback) as [number, number];
  }

  /** The raw value (quantizers, constraints, initializers: their own getters check them). */
  raw(key: string): unknown {
    return this.c[key] ?? null;
  }

  /** Keras's "linear" is no activation. */
  activation(): string | null {
    const v = this.c.activation;
    if (v === undefined || v === null || v === "linear") return null;
    return typeof v === "string" ? v : this.#fail("activation", "an activation name");
  }
}
