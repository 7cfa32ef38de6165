/**
 * Every layer onebit has, exported from one place. This list IS the layer
 * registry: `layers/registry.ts` reads Keras configs into the classes
 * exported here, so adding a layer is its own file plus one line below.
 * @module
 */
export { Dense, type DenseOptions, QuantDense, type QuantDenseOptions } from "./dense.ts";
export { Conv2D, type Conv2DOptions, QuantConv2D, type QuantConv2DOptions } from "./conv.ts";
export { DepthwiseConv2D, QuantDepthwiseConv2D, type QuantDepthwiseConv2DOptions } from "./depthwise.ts";
export { Conv1D, QuantConv1D, type QuantConv1DOptions } from "./conv_variants.ts";
export { Conv2DTranspose, QuantConv2DTranspose, type QuantConv2DTransposeOptions } from "./conv_variants.ts";
export { QuantSeparableConv2D, type QuantSeparableConv2DOptions, SeparableConv2D } from "./conv_variants.ts";
export { BatchNormalization, type BatchNormalizationOptions } from "./batch_norm.ts";
export { AveragePooling2D, GlobalAveragePooling2D, MaxPool2D, type Pool2DOptions } from "./pooling.ts";
export { Activation, activation, type ActivationName, Dropout, Flatten, ReLU, Reshape, ZeroPadding2D } from "./core.ts";
export { Add, Concatenate, Multiply, OperatorAdd } from "./merge.ts";
export { QuantSeparableConv1D, type QuantSeparableConv1DOptions, SeparableConv1D } from "./separable_conv1d.ts";
export {
  Conv3D,
  Conv3DTranspose,
  QuantConv3D,
  type QuantConv3DOptions,
  QuantConv3DTranspose,
  type QuantConv3DTransposeOptions,
} from "./conv3d.ts";
export {
  LocallyConnected1D,
  LocallyConnected2D,
  QuantLocallyConnected1D,
  QuantLocallyConnected2D,
  type QuantLocallyConnectedOptions,
} from "./locally_connected.ts";
export { RandomCrop, RandomFlip, RandomTranslation, RandomZoom, Rescaling } from "./preprocessing.ts";
export { Split } from "./split.ts";
export { PReLU, type PReLUOptions } from "./prelu.ts";
export { Softmax } from "./softmax.ts";
export { Identity } from "./identity.ts";
export { AddToLastChannels } from "./add_to_last_channels.ts";
