/**
 * Sequential: a Model whose layers run in order, one input and one output.
 * Its graph is made from the input shape (given, or the first input's).
 * @module
 */
import { Tensor } from "../graph/tensor.ts";
import type { Layer, Weight } from "../layers/layer.ts";
import { seededRandom } from "../graph/random.ts";
import { serializeLayer } from "../layers/registry.ts";
import { SymbolicTensor } from "../layers/symbolic.ts";
import { QuantConv2D } from "../layers/conv.ts";
import { MaxPool2D } from "../layers/pooling.ts";
import { DEFERRED, Model, type ModelConfig, type ModelGraph } from "./model.ts";

/** Sequential's options: a seed for its layers' initializers, and Keras's `input_shape` / `batch_size`. */
export interface SequentialOptions {
  /** Seeds every layer's initializers (and dropout) from one generator (default: Math.random). */
  seed?: number;
  /** The input shape without the batch axis (Keras's `input_shape`); otherwise the first input's. */
  inputShape?: readonly number[];
  /** A fixed batch size (Keras's `batch_size` on the input), for summaries; null: any. */
  batchSize?: number | null;
  /** The model's name (default "sequential"). */
  name?: string;
}

/**
 * Keras's Sequential: layers run in order, one input and one output. Its graph
 * is made from the input shape (`inputShape`, the first layer's `inputShape`,
 * or the first input's).
 *
 * @example
 * ```ts
 * import { Sequential } from "./sequential.ts";
 * import { Dense } from "../layers/dense.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)], { seed: 1 });
 * console.log(m.apply(Tensor.fill([3, 5], 1)).shape); // [3, 2]
 * ```
 */
export class Sequential extends Model {
  readonly #layers: Layer[] = [];
  #inputShape: readonly number[] | null;
  #shapeGiven: boolean;

  /** A fixed batch size (Keras's `batch_size` on the input), for summaries; null: any. */
  readonly batchSize: number | null;
  readonly #random: (() => number) | null;

  /** `layers` are added in order (names must be unique); `inputShape`: positive integers (else a RangeError). */
  constructor(layers: Layer[] = [], options: SequentialOptions = {}) {
    super(DEFERRED, undefined, { name: options.name ?? "sequential" });
    if (options.inputShape && !options.inputShape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new RangeError(`inputShape must be positive integers (no batch axis), got [${options.inputShape}]`);
    }
    this.#inputShape = options.inputShape ? [...options.inputShape] : null;
    this.#shapeGiven = this.#inputShape !== null;
    this.batchSize = options.batchSize ?? null;
    this.#random = options.seed === undefined ? null : seededRandom(options.seed);
    for (const l of layers) this.add(l);
  }

  /** Appends a layer (Keras's `add`); its name must be new to the model. */
  add(layer: Layer): void {
    if (!(layer && typeof (layer as Layer).apply === "function" && typeof layer.getConfig === "function")) {
      throw new TypeError(`Sequential.add takes a layer, got ${String(layer)}`);
    }
    if (this.#layers.some((l) => l.name === layer.name)) {
      throw new RangeError(`two layers are named "${layer.name}"; layer names must be unique`);
    }
    if (this.#random) layer.seed(this.#random);
    if (this.#layers.length === 0 && this.#inputShape === null && layer.inputShape) {
      this.#inputShape = [...layer.inputShape];
      this.#shapeGiven = true;
    }
    this.#layers.push(layer);
    this.resetGraph();
  }

  /** The input shape without the batch axis, once known (given, or from the first input). */
  get inputShape(): readonly number[] | null {
    return this.#inputShape;
  }

  /** The layers, in the order they run. */
  override get layers(): readonly Layer[] {
    return this.#layers;
  }

  /** Every weight (a Sequential with a known input shape builds its layers first, as Keras does). */
  override get weights(): Weight[] {
    if (this.#inputShape && this.#layers.length > 0) this.graph();
    return super.weights;
  }

  /** The layers, in order (Sequential lists no input layer). */
  override ordered(): Layer[] {
    return [...this.#layers];
  }

  /** The graph, made on first use from the input shape (a RangeError without layers or without an input shape). */
  protected override graph(): ModelGraph {
    try {
      return super.graph();
    } catch {
      if (this.#layers.length === 0) throw new RangeError("a Sequential model needs at least one layer");
      if (!this.#inputShape) {
        throw new RangeError(
          `model "${this.name}" has no input shape yet: pass inputShape to Sequential, or call it on data once`,
        );
      }
      const x = new SymbolicTensor(
        this.#inputShape,
        null,
        "input_1",
        Tensor.zeros([1, ...this.#inputShape]),
        this.batchSize,
      );
      let y = x;
      for (const l of this.#layers) y = l.apply(y);
      this.setGraph(x, y);
      return super.graph();
    }
  }

  /** Runs the layers in order. */
  override apply(x: Tensor, { training = false } = {}): Tensor {
    if (this.#layers.length === 0) throw new RangeError("a Sequential model needs at least one layer");
    if (!(x instanceof Tensor)) throw new TypeError("a Sequential model takes one input tensor");
    if (this.#inputShape === null) this.#inputShape = x.shape.slice(1);
    else if (this.#shapeGiven && x.shape.slice(1).join() !== this.#inputShape.join()) {
      throw new RangeError(`model "${this.name}" takes [batch, ${this.#inputShape.join(", ")}], got [${x.shape}]`);
    }
    let y = x;
    const layers = this.#layers;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i], next = layers[i + 1];
      // A first convolution and the max pooling after it run as one op where they can (QuantConv2D
      // applyWithMaxPool: the same values and gradients, without the convolution's output in memory).
      const fused = l instanceof QuantConv2D && next instanceof MaxPool2D ? l.applyWithMaxPool(y, next) : null;
      if (fused) {
        y = fused;
        i++;
      } else {
        y = l.apply(y, { training });
      }
    }
    return y;
  }

  /**
   * One input tensor whose shape, without the batch axis, is the input shape
   * when one was given (else a RangeError).
   */
  override checkInputs(xs: readonly Tensor[]): void {
    if (xs.length !== 1) throw new RangeError(`a Sequential model takes one input, got ${xs.length}`);
    if (this.#shapeGiven && xs[0].shape.slice(1).join() !== this.#inputShape!.join()) {
      throw new RangeError(`model "${this.name}" takes [batch, ${this.#inputShape!.join(", ")}], got [${xs[0].shape}]`);
    }
  }

  /** `[apply(xs[0])]`: a Sequential takes one input (else a RangeError). */
  override call(xs: readonly Tensor[], { training = false } = {}): Tensor[] {
    if (xs.length !== 1) throw new RangeError(`a Sequential model takes one input, got ${xs.length}`);
    return [this.apply(xs[0], { training })];
  }

  /** Always 1. */
  override get inputCount(): number {
    return 1;
  }

  /** Keras's `to_json()` form: an InputLayer, then the layers. */
  override toConfig(): ModelConfig {
    if (!this.#inputShape) {
      throw new RangeError("a Sequential model needs an input shape to be saved; pass inputShape or call it once");
    }
    return {
      class_name: "Sequential",
      config: {
        name: this.name,
        layers: [
          {
            class_name: "InputLayer",
            config: { batch_input_shape: [this.batchSize, ...this.#inputShape], dtype: "float32", name: "input_1" },
          },
          ...this.#layers.map(serializeLayer),
        ],
      },
    };
  }
}
