/** The converter's error: names the layer and what to change. @module */

/**
 * A model the converter cannot lower: an unsupported layer, quantizer or
 * configuration. `layer` is the Keras-style layer name (empty for
 * model-level problems).
 */
export class ConversionError extends Error {
  /** The class name, as `error.name` reports it. */
  override readonly name = "ConversionError";
  /** The layer concerned (empty for model-level problems such as a missing input shape). */
  readonly layer: string;
  /** The message becomes `layer "<layer>": <message>` (just `message` when `layer` is empty). */
  constructor(layer: string, message: string) {
    super(layer === "" ? message : `layer "${layer}": ${message}`);
    this.layer = layer;
  }
}
