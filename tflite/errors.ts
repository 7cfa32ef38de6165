/**
 * Errors about model files. Every message names where (a flatbuffer path
 * such as `subgraphs[0].tensors[7].shape`, a tensor or an operator) and
 * what to do.
 * @module
 */

/** The bytes are not a well-formed TFLite flatbuffer (truncated, out-of-bounds offsets, bad vtables). */
export class ModelFormatError extends Error {
  /** The class name, as `error.name` reports it. */
  override name = "ModelFormatError";
  /** Where in the file, e.g. `subgraphs[0].operators[3].inputs`. */
  readonly path: string;
  /** `path` is where in the file (a flatbuffer path); the message becomes `path: message`. */
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** The file is well formed but its graph is not valid (indices, shapes, types, options, cycles). */
export class ModelValidationError extends Error {
  /** The class name, as `error.name` reports it. */
  override name = "ModelValidationError";
  /** The tensor or operator concerned, e.g. `operator 3 (CONV_2D)`. */
  readonly where: string;
  /** `where` names the tensor or operator; the message becomes `where: message`. */
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.where = where;
  }
}

/** The file is valid TFLite but uses an op or a configuration this runtime does not implement. */
export class UnsupportedModelError extends Error {
  /** The class name, as `error.name` reports it. */
  override name = "UnsupportedModelError";
  /** The operator or tensor concerned, e.g. `operator 5 (LceBconv2d)`. */
  readonly where: string;
  /** `where` names the op or tensor; the message becomes `where: message` and says what is supported. */
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.where = where;
  }
}
