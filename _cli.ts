/**
 * What onebit's command-line tools share: a failure is one line on stderr
 * (`<tool>: <what went wrong and the fix>`) and exit code 1, never a stack
 * trace; a usage mistake prints the usage and exits 2.
 * @module
 */

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
    const message = e instanceof Error ? e.message : String(e);
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

/** A message folded onto one line (a CLI error is one line). */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, "; ");
}
