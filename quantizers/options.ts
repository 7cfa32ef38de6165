/**
 * Quantizer options declared once, on the class: the camelCase name
 * TypeScript callers use, the snake_case key of larq's config, the default
 * and what is accepted. Constructors, getConfig, fromConfig and the
 * registry's messages all read that one declaration.
 * @module
 */

/** One option of a quantizer's constructor. */
export interface OptionSpec<T> {
  /** Its key in larq's config (`"clip_value"`). */
  readonly key: string;
  /** The value when the option is not given; absent: the option is required. */
  readonly default?: T;
  /** What the option accepts, for messages (`"a positive number or null"`). */
  readonly accepts: string;
  /** `typeof` of the accepted values (another type is a TypeError). */
  readonly type: "number" | "boolean" | "string";
  /** Whether null is accepted too. */
  readonly nullable?: boolean;
  /** Whether a non-null value of the right type is accepted (else RangeError); absent: all are. */
  valid?(v: NonNullable<T>): boolean;
}

/** The options of a quantizer class, by their camelCase names. */
export type OptionSpecs<O> = { readonly [K in keyof O]-?: OptionSpec<Exclude<O[K], undefined>> };

/** The declaration of a quantizer that takes no options. */
export const NO_OPTIONS: OptionSpecs<Record<never, never>> = {};

/** Option specs with their value types erased (what the registry and getConfig read). */
export type AnyOptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;

/** The part of a quantizer class the option helpers read: its name (for messages) and its options. */
export interface DeclaresOptions<O> {
  /** Keras/larq class names; messages use the first. */
  readonly classNames: readonly string[];
  /** The options by camelCase name. */
  readonly optionSpecs: OptionSpecs<O>;
}

/** Keys of a Keras layer's config that larq's quantizer configs carry and that do not change the quantizer. */
const KERAS_KEYS = ["name", "trainable", "dtype", "metrics"];

/**
 * The options a constructor stores: `given` (camelCase) checked against
 * the class's declaration, with defaults for those not given.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const MySign = {
 *   classNames: ["MySign"],
 *   optionSpecs: { clipValue: { key: "clip_value", default: 1, accepts: "a number", type: "number" as const } },
 * };
 * console.log(resolveOptions(MySign, {})); // { clipValue: 1 }
 * ```
 */
export function resolveOptions<O extends object>(cls: DeclaresOptions<O>, given: O | undefined): Required<O> {
  const owner = cls.classNames[0];
  if (given === undefined) given = {} as O;
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError(`${owner}: options must be an object, got ${show(given)}`);
  }
  const specs = Object.entries(cls.optionSpecs as AnyOptionSpecs);
  const names = specs.map(([name]) => name);
  for (const name of Object.keys(given)) {
    if (names.includes(name)) continue;
    const twin = specs.find(([, spec]) => spec.key === name);
    const hint = twin ? ` (${name} is its key in larq's config; in TypeScript it is ${twin[0]})` : "";
    throw new RangeError(`${owner}: unknown option "${name}"; it takes ${listOf(names)}${hint}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of specs) {
    values[name] = checkOption(owner, name, spec, (given as Record<string, unknown>)[name]);
  }
  return values as Required<O>;
}

/**
 * Constructor options from larq's config (snake_case keys), with defaults
 * for those not given. Keras's `name`, `trainable`, `dtype` and `metrics`
 * are dropped, and `precision` unless the class takes it (the class implies
 * it); other unknown keys and bad values are errors naming the config key.
 *
 * @example
 * ```ts
 * import { optionsFromConfig } from "./options.ts";
 * const MySign = {
 *   classNames: ["MySign"],
 *   optionSpecs: { clipValue: { key: "clip_value", default: 1, accepts: "a number", type: "number" as const } },
 * };
 * console.log(optionsFromConfig(MySign, { clip_value: 2, name: "my_sign" })); // { clipValue: 2 }
 * ```
 */
export function optionsFromConfig<O extends object>(
  cls: DeclaresOptions<O>,
  config: Record<string, unknown>,
): Required<O> {
  const where = `${cls.classNames[0]} config`;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(`${where}: must be an object of larq's options, got ${show(config)}`);
  }
  const specs = Object.entries(cls.optionSpecs as AnyOptionSpecs);
  const keys = specs.map(([, spec]) => spec.key);
  for (const key of Object.keys(config)) {
    if (keys.includes(key) || KERAS_KEYS.includes(key) || key === "precision") continue;
    throw new RangeError(`${where}: unknown option "${key}"; it takes ${listOf(keys)}`);
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of specs) options[name] = checkOption(where, spec.key, spec, config[spec.key]);
  return options as Required<O>;
}

/** larq's config of an instance: each declared option's key with the instance's field of the option's name, in declared order. */
export function configOf(specs: AnyOptionSpecs, instance: object): Record<string, unknown> {
  const fields = instance as Record<string, unknown>;
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [spec.key, fields[name]]));
}

function checkOption(where: string, label: string, spec: OptionSpec<unknown>, v: unknown): unknown {
  if (v === undefined) {
    if (spec.default !== undefined) return spec.default;
    throw new TypeError(`${where}: ${label} is required: ${spec.accepts}`);
  }
  const message = `${where}: ${label} must be ${spec.accepts}, got ${show(v)}`;
  if (v === null) {
    if (spec.nullable) return v;
    throw new TypeError(message);
  }
  // deno-lint-ignore valid-typeof -- spec.type is one of typeof's results
  if (typeof v !== spec.type) throw new TypeError(message);
  if (spec.valid !== undefined && !spec.valid(v)) throw new RangeError(message);
  return v;
}

function listOf(names: string[]): string {
  return names.length === 0 ? "no options" : names.join(", ");
}

/** A value for a message: strings quoted (so `"1"` and `1` differ), objects as JSON. */
function show(v: unknown): string {
  if (typeof v !== "string" && (typeof v !== "object" || v === null)) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
