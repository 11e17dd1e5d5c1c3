/**
 * Convolution layers in the stax style (`GeneralConv`, `Conv`,
 * `GeneralConvTranspose` of jax.example_libraries.stax): `Conv` and
 * `ConvTranspose` over 1, 2 or 3 spatial dimensions (by the kernel size's
 * length), NHWC / HWIO / NHWC by default. Params are `{ w, b }` with `w` in
 * the kernel layout and `b` of shape [outChannels] (added along the output's
 * feature axis). Weights default to glorotNormal over the kernel's I and O
 * axes (fans counted over the receptive field, as JAX's variance scaling),
 * biases to normal(1e-6), as stax.
 */
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import type { Initializer } from "./initializers.js";
import { glorotNormal, normal } from "./initializers.js";
import type { Layer, LayerShape } from "./layers.js";

export interface ConvOptions {
  /** Window strides (default 1 per spatial axis). */
  strides?: number[];
  /** "VALID" (default, as stax), "SAME", "SAME_LOWER", or [low, high] pairs. */
  padding?: string | number[][];
  /** Kernel (rhs) dilation per spatial axis (default 1). */
  dilation?: number[];
  /** Groups of input features (the input features / featureGroupCount go to each group; depthwise when equal to the input features). */
  featureGroupCount?: number;
  /** Layout strings [input, kernel, output]; default NHWC/HWIO/NHWC (NHC/HIO/NHC for 1-D, NDHWC/DHWIO/NDHWC for 3-D). */
  dimensionNumbers?: [string, string, string];
  /** Weight initializer (default glorotNormal over the kernel's I and O axes). */
  wInit?: Initializer;
  /** Bias initializer (default normal(1e-6)). */
  bInit?: Initializer;
  dtype?: "float32" | "float64";
}

export interface ConvParams {
  w: Value;
  b: Value;
}

const DEFAULT_LAYOUTS: Record<number, [string, string, string]> = {
  1: ["NHC", "HIO", "NHC"],
  2: ["NHWC", "HWIO", "NHWC"],
  3: ["NDHWC", "DHWIO", "NDHWC"],
};

function positiveList(op: string, name: string, v: unknown, n: number, fallback: number): number[] {
  if (v === undefined) return Array.from({ length: n }, () => fallback);
  if (!Array.isArray(v) || v.length !== n) throw new ShapeError(`${op}: ${name} must be a JS array of ${n} positive integers, got ${describe(v)}`);
  return v.map((x, i) => {
    const k = intArg(op, `${name}[${i}]`, x);
    if (k < 1) throw new ShapeError(`${op}: ${name}[${i}] must be positive, got ${k}`);
    return k;
  });
}

interface Setup {
  op: string;
  outChannels: number;
  kernelSize: number[];
  strides: number[];
  padding: string | number[][];
  dilation: number[];
  groups: number;
  layouts: [string, string, string];
  wInit?: Initializer;
  bInit: Initializer;
  dtype: "float32" | "float64";
}

function setup(op: string, outChannels: unknown, kernelSize: unknown, options: ConvOptions | undefined): Setup {
  const o = optionsArg(op, options);
  const out = intArg(op, "outChannels", outChannels);
  if (out < 1) throw new ShapeError(`${op}: outChannels must be a positive integer, got ${out}`);
  if (!Array.isArray(kernelSize) || kernelSize.length < 1 || kernelSize.length > 3) {
    throw new ShapeError(`${op}: kernelSize must be a JS array of 1, 2 or 3 positive integers, got ${describe(kernelSize)}`);
  }
  const ns = kernelSize.length;
  const ks = positiveList(op, "kernelSize", kernelSize, ns, 1);
  const layouts = o.dimensionNumbers ?? DEFAULT_LAYOUTS[ns];
  // parsed (and checked) here, so a bad layout fails when the layer is made
  lax.convDimensionNumbers(new Array(ns + 2).fill(1), new Array(ns + 2).fill(1), layouts);
  const padding = o.padding ?? "VALID";
  if (typeof padding !== "string" && !Array.isArray(padding)) throw new ShapeError(`${op}: padding must be a string or [low, high] pairs, got ${describe(padding)}`);
  const groups = o.featureGroupCount === undefined ? 1 : intArg(op, "featureGroupCount", o.featureGroupCount);
  if (groups < 1) throw new ShapeError(`${op}: featureGroupCount must be positive, got ${groups}`);
  const dtype = o.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new ShapeError(`${op}: dtype must be "float32" or "float64", got ${describe(dtype)}`);
  return {
    op,
    outChannels: out,
    kernelSize: ks,
    strides: positiveList(op, "strides", o.strides, ns, 1),
    padding,
    dilation: positiveList(op, "dilation", o.dilation, ns, 1),
    groups,
    layouts,
    wInit: o.wInit,
    bInit: o.bInit ?? normal(1e-6),
    dtype,
  };
}

/** The kernel's shape in its layout, the input's feature count and the layouts' index tuples. */
function kernelShape(s: Setup, inputShape: LayerShape, inPerGroup: (c: number) => number) {
  const shape = inputShape as number[];
  const nd = s.kernelSize.length + 2;
  if (!Array.isArray(shape) || shape.length !== nd || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`${s.op}: expected an input shape of ${nd} dimensions (layout ${s.layouts[0]}, -1 for the batch), got ${describe(inputShape)}`);
  }
  const dn = lax.convDimensionNumbers(shape, shape, s.layouts);
  const C = shape[dn.lhsSpec[1]];
  if (!(C > 0)) throw new ShapeError(`${s.op}: the input's feature dimension must be known, got shape [${shape.join(", ")}]`);
  const w = new Array<number>(nd);
  w[dn.rhsSpec[0]] = s.outChannels;
  w[dn.rhsSpec[1]] = inPerGroup(C);
  s.kernelSize.forEach((k, i) => (w[dn.rhsSpec[2 + i]] = k));
  return { shape, dn, w };
}

function initParams(s: Setup, key: random.Key, w: number[], dn: lax.ConvDimensionNumbers): ConvParams {
  const [k1, k2] = random.split(key);
  const wInit = s.wInit ?? glorotNormal({ inAxis: dn.rhsSpec[1], outAxis: dn.rhsSpec[0] });
  return { w: wInit(k1, w, s.dtype), b: s.bInit(k2, [s.outChannels], s.dtype) };
}

function addBias(y: Value, b: Value, featureAxis: number): Value {
  const shape = y.shape.map((_, i) => (i === featureAxis ? b.size : 1));
  return np.add(y, np.reshape(b, shape));
}

/**
 * A convolution layer (stax's GeneralConv): 1-D, 2-D or 3-D by the length of
 * `kernelSize`, NHWC input by default, padding "VALID" by default (as stax).
 * @example
 * const conv = nn.Conv(8, [3, 3], { padding: "SAME" });
 * const [outShape, params] = conv.init(random.key(0), [-1, 28, 28, 1]); // [-1, 28, 28, 8]
 * conv.apply(params, np.ones([2, 28, 28, 1])).shape;                   // [2, 28, 28, 8]
 */
export function Conv(outChannels: number, kernelSize: number[], options?: ConvOptions): Layer<ConvParams> {
  const s = setup("nn.Conv", outChannels, kernelSize, options);
  return {
    init(key, inputShape) {
      const { shape, dn, w } = kernelShape(s, inputShape, (C) => {
        if (C % s.groups !== 0) throw new ShapeError(`${s.op}: featureGroupCount ${s.groups} must divide the input features ${C}`);
        return C / s.groups;
      });
      if (s.outChannels % s.groups !== 0) throw new ShapeError(`${s.op}: featureGroupCount ${s.groups} must divide outChannels ${s.outChannels}`);
      const inS = dn.lhsSpec.slice(2).map((a) => shape[a]);
      const pads = typeof s.padding === "string" ? null : s.padding;
      const outSpatial = inS.map((d, i) => {
        const dk = (s.kernelSize[i] - 1) * s.dilation[i] + 1;
        if (pads) {
          const padded = d + pads[i][0] + pads[i][1];
          return padded < dk ? 0 : Math.floor((padded - dk) / s.strides[i]) + 1;
        }
        if (s.padding === "VALID") return d < dk ? 0 : Math.floor((d - dk) / s.strides[i]) + 1;
        return Math.ceil(d / s.strides[i]);
      });
      const out = new Array<number>(shape.length);
      out[dn.outSpec[0]] = shape[dn.lhsSpec[0]];
      out[dn.outSpec[1]] = s.outChannels;
      outSpatial.forEach((d, i) => (out[dn.outSpec[2 + i]] = d));
      return [out, initParams(s, key, w, dn)];
    },
    apply(params, x) {
      const y = lax.convGeneralDilated(x, params.w, s.strides, s.padding, {
        rhsDilation: s.dilation,
        dimensionNumbers: s.layouts,
        featureGroupCount: s.groups,
      });
      return addBias(y, params.b, lax.convDimensionNumbers(y.shape, y.shape, s.layouts).outSpec[1]);
    },
  };
}

export interface ConvTransposeLayerOptions extends Omit<ConvOptions, "featureGroupCount"> {
  /** Flip the kernel and swap its feature axes (lax.convTranspose's transposeKernel). */
  transposeKernel?: boolean;
}

/**
 * A transposed convolution layer (stax's GeneralConvTranspose): `strides`
 * upsample the input through lax.convTranspose.
 * @example
 * const up = nn.ConvTranspose(4, [3, 3], { strides: [2, 2], padding: "SAME" });
 * const [outShape] = up.init(random.key(0), [-1, 7, 7, 8]); // [-1, 14, 14, 4]
 */
export function ConvTranspose(outChannels: number, kernelSize: number[], options?: ConvTransposeLayerOptions): Layer<ConvParams> {
  const s = setup("nn.ConvTranspose", outChannels, kernelSize, options);
  const transposeKernel = options?.transposeKernel ?? false;
  if (typeof transposeKernel !== "boolean") throw new ShapeError(`nn.ConvTranspose: transposeKernel must be true or false, got ${describe(transposeKernel)}`);
  const run = (x: Value, w: Value) =>
    lax.convTranspose(x, w, s.strides, s.padding, { rhsDilation: s.dilation, dimensionNumbers: s.layouts, transposeKernel });
  return {
    init(key, inputShape) {
      const { shape, dn, w } = kernelShape(s, inputShape, (C) => C);
      if (transposeKernel) [w[dn.rhsSpec[0]], w[dn.rhsSpec[1]]] = [w[dn.rhsSpec[1]], w[dn.rhsSpec[0]]];
      // the output shape from the abstract evaluation of the layer itself (batch 1 for -1)
      const probe = shape.map((d) => (d < 0 ? 1 : d));
      const outProbe = run(np.zeros(probe, { dtype: s.dtype }), np.zeros(w, { dtype: s.dtype })).shape;
      const out = outProbe.map((d, i) => (i === dn.outSpec[0] ? shape[dn.lhsSpec[0]] : d));
      return [out, initParams(s, key, w, transposeKernel ? { ...dn, rhsSpec: [dn.rhsSpec[1], dn.rhsSpec[0], ...dn.rhsSpec.slice(2)] } : dn)];
    },
    apply(params, x) {
      const y = run(x, params.w);
      return addBias(y, params.b, lax.convDimensionNumbers(y.shape, y.shape, s.layouts).outSpec[1]);
    },
  };
}
