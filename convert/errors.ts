/** The converter's error: names the layer and what to change. @module */

/**
 * A model the converter cannot lower: an unsupported layer, quantizer or
 * configuration. `layer` is the Keras-style layer name (empty for
 * model-level problems).
 */
export class ConversionError extends Error {
  override readonly name = "ConversionError";
  readonly layer: string;
  constructor(layer: string, message: string) {
    super(layer === "" ? message : `layer "${layer}": ${message}`);
    this.layer = layer;
  }
}
