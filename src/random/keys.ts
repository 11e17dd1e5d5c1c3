/**
 * PRNG keys, as JAX's default implementation (threefry2x32 with
 * `jax_threefry_partitionable=True`, the default since JAX 0.5): a key is a
 * uint32 array of shape [2], and every derived key or block of bits is one
 * Threefry-2x32 application to a counter, the element's row-major index as a
 * 64-bit number split into (hi, lo) words. So `split`, `foldIn` and `bits`
 * give the very words JAX gives for the same key. Inside
 * `threefryPartitionable(false, fn)` split and the bits are JAX's older
 * scheme instead (`originalWords`): one hash of a counter sequence 0..n-1,
 * split into halves, as JAX with `jax_threefry_partitionable=False`.
 *
 * Everything is lax, so keys may be traced: `jit`, `vmap` over a batch of
 * keys, and gradients of what is sampled all work.
 */
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import { DTypeError, KeyReuseError, ShapeError, UnsupportedError } from "../errors.js";
import { broadcastInDim, concatenate, convert, div, iota, rem, reshape, scalar, slice, threefry2x32, xor } from "../lax/index.js";
import { configState } from "../config-state.js";
import { checkShape, fmtShape, sizeOf } from "../shape.js";
import { describe, optionsArg, sizeArg } from "../static-args.js";
import type { Value } from "../trace/core.js";

/** A raw PRNG key: a uint32 array of shape [2] (JAX's `PRNGKey` format). */
export type Key = Value;

/** A shape argument: a list of sizes, or one size for a 1-D result. */
export type ShapeLike = number | readonly number[];

const TWO_32 = 4294967296;

/** Validates a shape argument (a user value: never trusted). */
export function shapeArg(op: string, shape: ShapeLike): number[] {
  return checkShape(op, shape);
}

/** Checks that `key` is one raw key, uint32 of shape [2]; batches of keys go through vmap. */
export function checkKey(op: string, key: unknown): Key {
  if (!(key instanceof ArrayMethods)) {
    throw new DTypeError(`${op}: the key must be a PRNG key array (from random.key(seed)), got ${typeof key}`);
  }
  const k = key as Key;
  if (k.dtype !== "uint32") {
    throw new DTypeError(`${op}: a PRNG key is a uint32 array of shape (2,), got dtype ${k.dtype}; make one with random.key(seed)`);
  }
  if (k.ndim !== 1 || k.shape[0] !== 2) {
    const hint = k.ndim > 1 && k.shape[k.ndim - 1] === 2 ? "; this is a batch of keys: map over it with vmap, or index one key" : "";
    throw new ShapeError(`${op}: a PRNG key has shape (2,), got ${fmtShape(k.shape)}${hint}`);
  }
  return k;
}

/** The keys consumed (split, or drawn from) while `debugKeyReuse` was on: held weakly, as a flag on the key. */
const consumed = new WeakSet<object>();

/**
 * JAX's key-reuse check (`debugKeyReuse`): splitting a key or drawing bits
 * from it consumes it, and consuming it again is a KeyReuseError. A key is
 * an array object here: the same object (concrete, or a tracer inside one
 * trace) used twice is caught; a key rebuilt from its data is a new key.
 */
function consumeKey(op: string, key: Key): void {
  if (!configState.debugKeyReuse) return;
  if (consumed.has(key)) {
    throw new KeyReuseError(
      `${op}: this PRNG key was already used (split, or drawn from) inside debugKeyReuse(); ` +
        `split it first and use each new key once: const [k1, k2] = random.split(key)`,
    );
  }
  consumed.add(key);
}

/**
 * Runs a sampler's `body` as one use of `key`: the key is consumed once
 * here, and the keys the body derives (inside loops, where they are
 * tracers) are not checked again. For the samplers whose draws happen
 * inside lax loops (poisson, binomial, multinomial), where the user's key
 * object itself is never drawn from directly.
 */
export function oneUseOf<T>(op: string, key: Key, body: () => T): T {
  if (!configState.debugKeyReuse) return body();
  consumeKey(op, checkKey(op, key));
  configState.debugKeyReuse = false;
  try {
    return body();
  } finally {
    configState.debugKeyReuse = true;
  }
}

/**
 * A key as a new, unconsumed key object (JAX's `random.clone` and
 * `wrap_key_data` are fresh sources): under `debugKeyReuse` a copy, else the
 * key itself, since only the check tells the two apart.
 */
export function freshKey(key: Key): Key {
  return configState.debugKeyReuse ? xor(key, u32(0)) : key;
}

/** The two words of a key as 0-d arrays. */
function keyWords(key: Key): [Value, Value] {
  return [reshape(slice(key, [0], [1]), []), reshape(slice(key, [1], [2]), [])];
}

const u32 = (v: number): Value => scalar(v, "uint32");

/**
 * JAX's `iota_2x32_shape`: each element's row-major index as (hi, lo) uint32
 * words. jaxon's arrays are far smaller than 2^32 elements, so hi is zero.
 */
function counters(op: string, shape: readonly number[]): [Value, Value] {
  const size = sizeOf(shape);
  if (size >= TWO_32) throw new UnsupportedError(`${op}: cannot draw ${size} values at once (at most 2^32 - 1); split the key and draw in parts`);
  if (shape.length === 0) return [u32(0), u32(0)];
  return [u32(0), reshape(iota("uint32", size), shape)];
}

/**
 * Two uint32 words for every element of `shape`, combined by the caller as
 * JAX combines them for `bitWidth`-bit random values: `a ^ b` (its low
 * `bitWidth` bits for 8 and 16), or `a << 32 | b` for 64. With JAX's
 * partitionable threefry (the default) they are both Threefry output words
 * of the element's counter; inside `threefryPartitionable(false, fn)` they
 * are JAX's original bits (`originalWords`), given as (bits, 0) or, for 64
 * bits, as (first half, second half) of the hashed sequence.
 */
export function threefryWords(op: string, key: Key, shape: readonly number[], bitWidth: 8 | 16 | 32 | 64 = 32): [Value, Value] {
  const [k0, k1] = keyWords(checkKey(op, key));
  consumeKey(op, key);
  if (!configState.threefryPartitionable) return originalBits(op, k0, k1, shape, bitWidth);
  const [hi, lo] = counters(op, shape);
  return threefry2x32(k0, k1, hi, lo);
}

/**
 * JAX's original `threefry_2x32(key, iota(n))`: the counters 0..n-1 (padded
 * with a 0 to even length) split into a first and a second half, hashed as
 * pairs, and the two output halves concatenated: n uint32 words, 1-D.
 */
function originalWords(op: string, k0: Value, k1: Value, n: number): Value {
  if (n >= TWO_32) throw new UnsupportedError(`${op}: cannot draw ${n} words at once (at most 2^32 - 1); split the key and draw in parts`);
  if (n === 0) return iota("uint32", 0);
  const half = Math.ceil(n / 2);
  const counts = n % 2 === 1 ? concatenate([iota("uint32", n), reshape(u32(0), [1])], 0) : iota("uint32", n);
  const [a, b] = threefry2x32(k0, k1, slice(counts, [0], [half]), slice(counts, [half], [2 * half]));
  const out = concatenate([a, b], 0);
  return n % 2 === 1 ? slice(out, [0], [n]) : out;
}

/** JAX's `_threefry_random_bits_original`, as the word pair `threefryWords` returns. */
function originalBits(op: string, k0: Value, k1: Value, shape: readonly number[], bitWidth: 8 | 16 | 32 | 64): [Value, Value] {
  const size = sizeOf(shape);
  const zeros = () => broadcastInDim(u32(0), [...shape], []);
  if (bitWidth === 32) return [reshape(originalWords(op, k0, k1, size), [...shape]), zeros()];
  if (bitWidth === 64) {
    const words = originalWords(op, k0, k1, 2 * size);
    return [reshape(slice(words, [0], [size]), [...shape]), reshape(slice(words, [size], [2 * size]), [...shape])];
  }
  // 8 and 16 bits: the words viewed as little-endian bytes (halves), the first `size` of them
  const perWord = 32 / bitWidth;
  const count = Math.ceil(size / perWord);
  const words = broadcastInDim(originalWords(op, k0, k1, count), [count, perWord], [0]);
  const scales = Uint32Array.from({ length: perWord }, (_, i) => 2 ** (bitWidth * i));
  const divisors = broadcastInDim(concatenate([...scales].map((v) => reshape(u32(v), [1])), 0), [count, perWord], [1]);
  const parts = rem(div(words, divisors), u32(2 ** bitWidth));
  return [reshape(slice(reshape(parts, [count * perWord]), [0], [size]), [...shape]), zeros()];
}

/** Stacks two word arrays of one shape into keys: shape [...shape, 2]. */
function stackWords(a: Value, b: Value): Value {
  const col = (x: Value) => reshape(x, [...x.shape, 1]);
  return concatenate([col(a), col(b)], a.ndim);
}

/** A JS integer as a uint32 word, wrapping as NumPy's uint32 conversion does for 32-bit values. */
function wordOf(op: string, what: string, n: number): number {
  if (!Number.isSafeInteger(n)) throw new DTypeError(`${op}: ${what} must be an integer, got ${describe(n)}`);
  return ((n % TWO_32) + TWO_32) % TWO_32;
}

/** An integer scalar (a JS number, or a 0-d int array, traced or not) as a 0-d uint32 array. */
function wordArg(op: string, what: string, x: ArrayLike): Value {
  if (typeof x === "number") return u32(wordOf(op, what, x));
  if (!(x instanceof ArrayMethods)) throw new DTypeError(`${op}: ${what} must be an integer, got ${typeof x}`);
  const v = x as Value;
  if (v.ndim !== 0) throw new ShapeError(`${op}: ${what} must be a scalar, got shape ${fmtShape(v.shape)}; map over arrays of them with vmap`);
  if (v.dtype !== "int32" && v.dtype !== "uint32") throw new DTypeError(`${op}: ${what} must be an integer (int32 or uint32), got ${v.dtype}`);
  return convert(v, "uint32");
}

/**
 * A PRNG key from an integer seed: `[0, seed mod 2^32]`, as JAX's
 * `random.PRNGKey(seed)` (and `key_data(random.key(seed))`) with 64-bit
 * types off. The seed may be a traced int32/uint32 scalar.
 * @example
 * const k = random.key(0);          // uint32 [0, 0]
 */
export function key(seed: ArrayLike): Key {
  const lo = wordArg("random.key", "the seed", seed);
  return stackWords(u32(0), lo);
}

/** JAX's old name for `key`. */
export const PRNGKey = key;

/**
 * `num` new keys, stacked: shape [num, 2] (or [...num, 2] for a shape), as
 * JAX's `random.split`.
 */
export function splitArray(key: Key, num: ShapeLike = 2): Value {
  const shape = shapeArg("random.split", num);
  if (!configState.threefryPartitionable) {
    consumeKey("random.split", checkKey("random.split", key));
    // JAX's original split: the words of counters 0..2n-1, read as n keys
    const [k0, k1] = keyWords(checkKey("random.split", key));
    return reshape(originalWords("random.split", k0, k1, 2 * sizeOf(shape)), [...shape, 2]);
  }
  const [a, b] = threefryWords("random.split", key, shape);
  return stackWords(a, b);
}

/**
 * Splits a key into `num` new keys, returned as a JS array of keys so that
 * `const [k1, k2] = random.split(key)` reads as in JAX. The keys are those of
 * JAX's `random.split(key, num)`; `splitArray` gives them stacked.
 * @example
 * const [k1, k2] = random.split(random.key(0));
 */
export function split(key: Key, num = 2): Key[] {
  sizeArg("random.split", "num", num);
  const keys = splitArray(key, [num]);
  return Array.from({ length: num }, (_, i) => reshape(slice(keys, [i, 0], [i + 1, 2]), [2]));
}

/**
 * A new key from a key and an integer (JAX's `random.fold_in`): the data is
 * taken as a uint32 word. The data may be a traced int32/uint32 scalar, e.g.
 * a loop counter.
 */
export function foldIn(key: Key, data: ArrayLike): Key {
  const [k0, k1] = keyWords(checkKey("random.foldIn", key));
  const [a, b] = threefry2x32(k0, k1, u32(0), wordArg("random.foldIn", "the data", data));
  return stackWords(a, b);
}

/**
 * Uniform random bits of `shape` as unsigned integers (JAX's `random.bits`):
 * uint32 by default; uint8 and uint16 are the low bits of the same words, as
 * JAX's partitionable threefry gives them.
 * @example
 * random.bits(random.key(0), [3]);                    // uint32 [3]
 * random.bits(random.key(0), [3], { dtype: "uint8" }); // uint8 [3]
 */
export function bits(key: Key, shape: ShapeLike = [], options: { dtype?: "uint8" | "uint16" | "uint32" } | "uint8" | "uint16" | "uint32" = {}): Value {
  // the dtype alone (as JAX takes it positionally) or in an options object
  const { dtype = "uint32" } = typeof options === "string" ? { dtype: options } : optionsArg("random.bits", options);
  if (dtype !== "uint8" && dtype !== "uint16" && dtype !== "uint32") {
    throw new DTypeError(`random.bits: dtype must be "uint8", "uint16" or "uint32" (options { dtype }), got ${describe(dtype)}`);
  }
  const [a, b] = threefryWords("random.bits", key, shapeArg("random.bits", shape), dtype === "uint8" ? 8 : dtype === "uint16" ? 16 : 32);
  const words = xor(a, b);
  return dtype === "uint32" ? words : convert(words, dtype);
}

/** The raw uint32 data of a key: keys are raw arrays already, so this is the key itself (for code ported from JAX). */
export function keyData(key: Key): Value {
  return checkKey("random.keyData", key);
}
