/**
 * OpenVINO beside onebit in the benchmarks: a long-lived Python helper
 * (tools/py/openvino_models.py or openvino_kernels.py with `--serve`) that
 * answers one JSON line per JSON request on stdin, so OpenVINO and onebit can
 * be timed in interleaved rounds of one run (the machines are shared: a
 * neighbour's load then hits both sides alike).
 * @module
 */

const root = new URL("../", import.meta.url).pathname;
export const python = `${root}.tools/venv/bin/python`;

/** True when the cross-check venv exists (tools/setup_py.sh has run once). */
export async function haveVenv(): Promise<boolean> {
  try {
    await Deno.stat(python);
    return true;
  } catch {
    return false;
  }
}

/** A `--serve` helper: `request` writes one JSON line and reads the answer. */
export class OpenvinoServer {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  /** The helper's first line (`{"ready": true, "version": ...}` and whatever else it reports). */
  hello: Record<string, unknown> = {};

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = readLines(child.stdout)[Symbol.asyncIterator]();
  }

  /** Starts `tools/py/<script> --serve ...args` and waits for its ready line. */
  static async start(script: string, args: string[]): Promise<OpenvinoServer> {
    const child = new Deno.Command(python, {
      args: [`tools/py/${script}`, "--serve", ...args],
      cwd: root,
      env: { PYTHONPATH: `${root}tools/py` },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const server = new OpenvinoServer(child);
    server.hello = await server.#next();
    return server;
  }

  async #next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error("the OpenVINO helper exited (its stderr is above)");
    return JSON.parse(value);
  }

  async request<T = Record<string, number[]>>(body: Record<string, unknown>): Promise<T> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(body) + "\n"));
    return await this.#next() as T;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line.startsWith("{")) yield line;
    }
  }
}

/** The CPU: /proc/cpuinfo's model name, family/model and whether it has AVX-512 VPOPCNTDQ (else the architecture). */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const field = (k: string) => info.match(new RegExp(`^${k}\\s*:\\s*(.+)$`, "m"))?.[1].trim();
    const name = field("model name");
    if (name) {
      const vpopcnt = /\bavx512_vpopcntdq\b/.test(info) ? ", AVX-512 VPOPCNTDQ" : "";
      return `${name} (family ${field("cpu family")}, model ${field("model")}${vpopcnt})`;
    }
  } catch {
    // not Linux
  }
  return Deno.build.arch;
}
