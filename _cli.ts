/**
 * What onebit's command-line tools share: a failure is one line on stderr
 * (`<tool>: <what went wrong and the fix>`) and exit code 1, never a stack
 * trace; a usage mistake prints the usage and exits 2.
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** A mistake in the command line: printed with the tool's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Runs a CLI's `main` and turns any error into one line on stderr: the
 * tool's name and the error's message (exit 1; a {@link UsageError} also
 * prints `usage` and exits 2). Set `ONEBIT_DEBUG=1` to get the stack too.
 */
export async function runCli(tool: string, usage: string, main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    const message = e instanceof Deno.errors.NotFound
      ? notFound(e.message)
      : e instanceof Error
      ? e.message
      : String(e);
    console.error(`${tool}: ${oneLine(message)}`);
    if (debugging() && e instanceof Error && e.stack) console.error(e.stack);
    if (e instanceof UsageError) {
      console.error(usage);
      Deno.exit(2);
    }
    Deno.exit(1);
  }
}

function debugging(): boolean {
  try {
    return Deno.env.get("ONEBIT_DEBUG") === "1";
  } catch {
    return false; // no --allow-env
  }
}

/** Deno's "No such file or directory (os error 2): open 'x'" as "x: no such file". */
function notFound(message: string): string {
  const m = /'([^']+)'\s*$/.exec(message);
  return m ? `${m[1]}: no such file or directory` : message;
}

/** A message folded onto one line (a CLI error is one line). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, "; ");
}

/** `node:util`'s parseArgs with its mistakes (unknown or malformed options) turned into {@link UsageError}s. */
export function parseCli<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): { values: ParsedValues<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: parsed.values as ParsedValues<T>, positionals: parsed.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

type ParsedValues<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: T; allowPositionals: true }>
>["values"];

/** A whole number option in [min, max], or a UsageError naming the option. */
export function intOption(name: string, value: string | undefined, fallback: number, min = 1, max = 2 ** 31): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
