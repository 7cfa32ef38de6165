/**
 * The zoo by benchmark name (tools/py/zoo_models.py's names: larq-zoo's
 * model names in snake case), what bench/convert.ts and bench/zoo.ts build
 * and convert, in larq-zoo's order.
 * @module
 */
import type { Model } from "../models/model.ts";
import { binaryAlexNet } from "../zoo/binary_alexnet.ts";
import { biRealNet } from "../zoo/birealnet.ts";
import { binaryDenseNet } from "../zoo/densenet.ts";
import { doReFaNet } from "../zoo/dorefanet.ts";
import { larqMnistCnn } from "../zoo/larq_mnist.ts";
import { meliusNet22 } from "../zoo/meliusnet.ts";
import { quickNet } from "../zoo/quicknet.ts";
import { realToBinaryNet } from "../zoo/real_to_binary_net.ts";
import { binaryResNetE18 } from "../zoo/resnet_e.ts";
import { xnorNet } from "../zoo/xnornet.ts";

/** Each model's larq-zoo class name and builder (ImageNet shape, 1000 classes, seeded random weights). */
const ZOO = {
  quicknet_small: ["QuickNetSmall", () => quickNet("quicknet_small")],
  quicknet: ["QuickNet", () => quickNet("quicknet")],
  quicknet_large: ["QuickNetLarge", () => quickNet("quicknet_large")],
  birealnet: ["BiRealNet", () => biRealNet()],
  binary_resnet_e18: ["BinaryResNetE18", () => binaryResNetE18()],
  binary_densenet28: ["BinaryDenseNet28", () => binaryDenseNet("binary_densenet28")],
  binary_densenet37: ["BinaryDenseNet37", () => binaryDenseNet("binary_densenet37")],
  binary_densenet37_dilated: ["BinaryDenseNet37Dilated", () => binaryDenseNet("binary_densenet37_dilated")],
  binary_densenet45: ["BinaryDenseNet45", () => binaryDenseNet("binary_densenet45")],
  meliusnet22: ["MeliusNet22", () => meliusNet22()],
  xnornet: ["XNORNet", () => xnorNet()],
  dorefanet: ["DoReFaNet", () => doReFaNet()],
  binary_alexnet: ["BinaryAlexNet", () => binaryAlexNet()],
  real_to_binary_net: ["RealToBinaryNet", () => realToBinaryNet()],
  larq_mnist: ["larq's MNIST CNN", () => larqMnistCnn()],
} satisfies Record<string, [string, () => Model]>;

/** A benchmark name of the zoo. */
export type ZooName = keyof typeof ZOO;

/** larq-zoo's models in its order (larq's MNIST CNN is not one of them: name it explicitly). */
export const LARQ_ZOO: readonly ZooName[] = (Object.keys(ZOO) as ZooName[]).filter((n) => n !== "larq_mnist");

/** Models LCE's converter cannot convert, and why (tools/py/zoo_models.py writes no LCE file for them). */
export const LCE_CANNOT_CONVERT: Readonly<Record<string, string>> = {
  dorefanet: "LCE's converter crashes on its 2-bit activations",
};

/** True for a name {@link buildZoo} knows. */
export function isZooName(name: string): name is ZooName {
  return Object.hasOwn(ZOO, name);
}

/** The model of a zoo name, or a RangeError naming it and the known names. */
export function buildZoo(name: string): Model {
  return entry(name)[1]();
}

/** larq-zoo's class name of a zoo model ("QuickNetSmall" for quicknet_small). */
export function zooTitle(name: string): string {
  return entry(name)[0];
}

/** The input shape of a zoo model without the batch axis (224×224×3, larq's MNIST CNN 28×28×1). */
export function zooInputShape(name: string): number[] {
  return name === "larq_mnist" ? [28, 28, 1] : [224, 224, 3];
}

function entry(name: string): [string, () => Model] {
  if (!isZooName(name)) throw new RangeError(`unknown zoo model "${name}"; known: ${Object.keys(ZOO).join(", ")}`);
  return ZOO[name];
}
