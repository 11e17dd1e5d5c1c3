/**
 * Poisson samples as JAX draws them (jax/_src/random/core.py `_poisson`):
 * Knuth's multiplication of uniforms for rates below 10, Hörmann's
 * transformed rejection (PTRS) above, both run on the whole array with
 * their own loops from the same key and selected per element. The rate is
 * float32, as in JAX.
 */
import type { ArrayLike } from "../array-methods.js";
import { Array } from "../array.js";
import type { DType } from "../dtype.js";
import { checkDType, isInt } from "../dtype.js";
import { viaCpu } from "../runtime/index.js";
import { DTypeError } from "../errors.js";
import {
  abs, add, and, broadcastInDim, convert, div, floor, ge, gt, le, log, log1p, lt, mul, ne, neg, not, or, reduceMax, scalar, select, sqrt, sub,
  whileLoop,
} from "../lax/index.js";
import { broadcastShapes, fmtShape, shapeEq } from "../shape.js";
import { ShapeError } from "../errors.js";
import type { Value } from "../trace/core.js";
import type { IntOptions } from "./distributions.js";
import { asArg, fit, opts, uniform } from "./distributions.js";
import type { Key, ShapeLike } from "./keys.js";
import { checkKey, oneUseOf, shapeArg, split } from "./keys.js";

const f32 = (v: number) => scalar(v, "float32");

/** Whether any element of a boolean array is true, as a 0-d bool. */
function any(x: Value): Value {
  if (x.ndim === 0) return x;
  return gt(reduceMax(convert(x, "int32"), x.shape.map((_, i) => i)), scalar(0, "int32"));
}

// XLA's Lanczos approximation (g = 7, 9 terms), for x >= 0.5; the rejection step only asks for lgamma(k + 1), k >= 0
const LANCZOS = [676.520368121885098567009190444019, -1259.13921672240287047156078755283, 771.3234287776530788486528258894,
  -176.61502916214059906584551354, 12.507343278686904814458936853, -0.13857109526572011689554707, 9.984369578019570859563e-6,
  1.50563273514931155834e-7];

function lgammaAtLeastHalf(x: Value): Value {
  const z = sub(x, f32(1));
  let acc: Value = f32(0.99999999999980993227684700473478);
  LANCZOS.forEach((cf, i) => (acc = add(acc, div(f32(cf), add(z, f32(i + 1))))));
  const t = add(z, f32(7.5));
  const logT = add(f32(Math.log(7.5)), log1p(div(z, f32(7.5))));
  return add(add(log(acc), mul(sub(add(z, f32(0.5)), div(t, logT)), logT)), f32(Math.log(Math.sqrt(2 * Math.PI))));
}

function knuth(key: Key, lam: Value, shape: number[], dtype: DType): Value {
  const zerosF = broadcastInDim(f32(0), shape, []);
  const zerosK = broadcastInDim(scalar(0, dtype), shape, []);
  const negLam = neg(lam);
  type C = [Value, Value, Value];
  const [k] = whileLoop(
    ([, , logProd]: C) => any(gt(logProd, negLam)),
    ([kk, rng, logProd]: C): C => {
      const [next, sub_] = split(rng);
      const k2 = select(gt(logProd, negLam), add(kk, scalar(1, dtype)), kk);
      const u = uniform(sub_, shape, "float32");
      return [k2, next, add(logProd, log(u))];
    },
    [zerosK, key, zerosF] as C,
  );
  return sub(k, scalar(1, dtype));
}

function rejection(key: Key, lam: Value, shape: number[], dtype: DType): Value {
  const logLam = log(lam);
  const b = add(f32(0.931), mul(f32(2.53), sqrt(lam)));
  const a = add(f32(-0.059), mul(f32(0.02483), b));
  const invAlpha = add(f32(1.1239), div(f32(1.1328), sub(b, f32(3.4))));
  const vR = sub(f32(0.9277), div(f32(3.6224), sub(b, f32(2))));
  type C = [Value, Value, Value];
  const [kOut] = whileLoop(
    ([, accepted]: C) => any(not(accepted)),
    ([kPrev, accepted, rng]: C): C => {
      const [next, k0, k1] = split(rng, 3);
      const u = sub(uniform(k0, shape, "float32"), f32(0.5));
      const v = uniform(k1, shape, "float32");
      const us = sub(f32(0.5), abs(u));
      const k = floor(add(add(mul(add(div(mul(f32(2), a), us), b), u), lam), f32(0.43)));
      const s = log(div(mul(v, invAlpha), add(div(a, mul(us, us)), b)));
      const t = sub(add(neg(lam), mul(k, logLam)), lgammaAtLeastHalf(add(k, f32(1))));
      const accept1 = and(ge(us, f32(0.07)), le(v, vR));
      const reject = or(lt(k, f32(0)), and(lt(us, f32(0.013)), gt(v, us)));
      const accept = or(accept1, and(not(reject), le(s, t)));
      return [select(accept, k, kPrev), or(accepted, accept), next];
    },
    [broadcastInDim(f32(-1), shape, []), broadcastInDim(scalar(0, "bool"), shape, []), key] as C,
  );
  return convert(kOut, dtype);
}

/** The device of a concrete array that cannot be read synchronously (WebGPU), else undefined. */
export function asyncDevice(x: Value): string | undefined {
  return x instanceof Array && !x.backend.syncReadable ? x.device : undefined;
}

/**
 * Poisson samples with rate `lam` (JAX's `random.poisson`), int32 by
 * default; the shape defaults to lam's. Same algorithms and bits as JAX:
 * Knuth's method below rate 10, transformed rejection (PTRS) from 10 on.
 * Not differentiable (the samples are integers). On WebGPU the loops run
 * on the CPU for concrete keys and rates, as their condition is read on the host.
 * @example
 * random.poisson(random.key(0), 3, [5]);
 */
export function poisson(key: Key, lam: ArrayLike, shape?: ShapeLike, options: IntOptions | DType = {}): Value {
  return oneUseOf("random.poisson", key, () => poissonSampled(key, lam, shape, options));
}

function poissonSampled(key: Key, lam: ArrayLike, shape?: ShapeLike, options: IntOptions | DType = {}): Value {
  const op = "random.poisson";
  const { dtype = "int32" } = opts(op, options);
  const d = checkDType(dtype, op);
  if (!isInt(d)) throw new DTypeError(`${op}: dtype must be an integer dtype (int8, uint8, int16, uint16, int32 or uint32), got ${d}`);
  const k = checkKey(op, key);
  const lv = asArg(op, "lam", lam);
  const s = shape === undefined ? [...lv.shape] : shapeArg(op, shape);
  if (!shapeEq(broadcastShapes(op, s, lv.shape), s)) {
    throw new ShapeError(`${op}: lam of shape ${fmtShape(lv.shape)} does not broadcast to the requested shape ${fmtShape(s)}`);
  }
  let l = fit(op, "lam", convert(lv, "float32"), s);
  if (l.ndim === 0 && s.length > 0) l = broadcastInDim(l, s, []);
  const device = asyncDevice(k) ?? asyncDevice(l);
  if (device !== undefined) return onCpuAndBack(device, [k, l], (kk, ll) => poisson(kk, ll, s, d));
  const useKnuth = or(ne(l, l), lt(l, f32(10)));
  const full = (v: number) => (s.length ? broadcastInDim(f32(v), s, []) : f32(v));
  const lamKnuth = select(useKnuth, l, full(0));
  const lamRej = select(useKnuth, full(1e5), l);
  const result = select(useKnuth, knuth(k, lamKnuth, s, d), rejection(k, lamRej, s, d));
  const zero = s.length ? broadcastInDim(scalar(0, d), s, []) : scalar(0, d);
  return select(eq0(l), zero, result);
}

const eq0 = (l: Value) => le(abs(l), f32(0));

/**
 * Runs `f` on the CPU (the default device switched for its duration, so
 * that the constants it makes are CPU arrays too) with `args` moved there,
 * and puts the result back on `device`: for samplers whose loops read their
 * condition on the host, which WebGPU cannot do synchronously.
 */
export function onCpuAndBack(device: string, args: Value[], f: (...xs: Value[]) => Value): Value {
  return viaCpu("random", device as Parameters<typeof viaCpu>[1], args, f);
}
