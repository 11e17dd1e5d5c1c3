/**
 * Neural-network layers in the style of JAX's `example_libraries.stax`: a
 * layer is a pair of pure functions,
 *
 * - `init(key, inputShape) → [outputShape, params]` and
 * - `apply(params, x, { key?, training? }) → y`,
 *
 * and combinators (`serial`, `parallel`, `fanOut`, ...) build networks from
 * layers. Parameters are plain pytrees (objects and JS arrays of arrays), so
 * `grad` of a loss returns gradients of the same structure and the optimizers
 * of `optim` update them leaf by leaf. Shapes may use -1 for the batch
 * dimension, as stax does.
 *
 * Layers with state besides params (BatchNorm's running statistics) also
 * have `initWithState` and `applyWithState`; call them through
 * `nn.initWithState(layer, key, shape) → [shape, params, state]` and
 * `nn.applyWithState(layer, params, state, x, options) → [y, newState]`,
 * which work for every layer (a stateless layer's state is `[]`; `serial`
 * and `parallel` hold a list with their layers' states).
 *
 * One difference from stax: `Dropout(rate)` takes the probability of
 * DROPPING a unit (as PyTorch, Keras and Flax do); stax's takes the
 * probability of keeping one.
 */
import { optionsArg, describe } from "../static-args.js";
import { ShapeError, UnsupportedError } from "../errors.js";
import * as np from "../numpy/index.js";
import * as random from "../random/index.js";
import type { Key } from "../random/index.js";
import type { Value } from "../trace/core.js";
import * as act from "./activations.js";
import type { Initializer } from "./initializers.js";
import { glorotNormal, normal } from "./initializers.js";

/** A layer's shape: one array's shape (with -1 for a batch dimension), or a list of them for layers with several inputs or outputs. */
export type LayerShape = readonly number[] | readonly LayerShape[];

/** What `apply` takes besides params and input. */
export interface ApplyOptions {
  /** A PRNG key, for layers that are random when training (Dropout). Combinators split it among their layers. */
  key?: Key;
  /** Training mode (default false): Dropout drops units only when this is true. */
  training?: boolean;
}

/**
 * A layer: a pair of pure functions in the stax style. `P` is the type of
 * its params, `In` and `Out` of its input and output (an array, or a list of
 * arrays for multi-input/multi-output layers).
 */
export interface Layer<P = unknown, In = Value, Out = Value> {
  /** The output shape for `inputShape`, and fresh parameters drawn with `key`. */
  init(key: Key, inputShape: LayerShape): [LayerShape, P];
  /** The layer's output for `x` (pure: the same params, x and key give the same result). */
  apply(params: P, x: In, options?: ApplyOptions): Out;
  /**
   * Layers with state (BatchNorm's running statistics) and combinators only:
   * `init` plus the initial state, a pytree. Call it through `nn.initWithState`,
   * which works for every layer (a stateless layer's state is `[]`).
   */
  initWithState?(key: Key, inputShape: LayerShape): [LayerShape, P, unknown];
  /**
   * Layers with state and combinators only: `apply` that takes the state and
   * returns `[output, newState]`. Call it through `nn.applyWithState`.
   */
  applyWithState?(params: P, state: unknown, x: In, options?: ApplyOptions): [Out, unknown];
}

/** Any layer, for the combinators (they do not care about its types). */
export type AnyLayer = Layer<unknown, never, unknown>;

/** The type of a layer's params. */
export type ParamsOf<L> = L extends Layer<infer P, never, unknown> ? P : unknown;

/**
 * The params of layers one after another, as `nn.serial` keeps them: a
 * tuple with each layer's params (`nn.serial(nn.Dense(2), nn.Relu)` has
 * `[DenseParams, EmptyParams]`-like params, not `unknown[]`).
 */
export type ParamsOfLayers<L extends readonly unknown[]> = { -readonly [K in keyof L]: ParamsOf<L[K]> };

/**
 * What `nn.serial` returns: its `init` gives the params typed as a tuple
 * (`ParamsOfLayers`), and its `apply` takes them, or params typed `unknown[]`
 * as earlier versions gave them (code that annotated them so still compiles).
 */
export type SerialLayer<P extends unknown[]> = Layer<P> & { apply(params: unknown[], x: Value, options?: ApplyOptions): Value };

/** Validates that a layer shape is one array's shape. */
function arrayShape(op: string, shape: LayerShape): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`${op}: expected the shape of one array (integers, -1 for a batch dimension), got ${JSON.stringify(shape).slice(0, 80)}`);
  }
  return [...(shape as readonly number[])];
}

/** Validates that a layer shape is a list of shapes (for multi-input layers). */
function shapeList(op: string, shape: LayerShape): LayerShape[] {
  if (!Array.isArray(shape) || !shape.every((s) => Array.isArray(s))) {
    throw new ShapeError(`${op}: expected a list of input shapes (one per input), got ${JSON.stringify(shape).slice(0, 80)}`);
  }
  return [...(shape as readonly LayerShape[])];
}

/** Splits an optional key in n: undefined stays undefined for every part. */
function splitKey(key: Key | undefined, n: number): (Key | undefined)[] {
  if (key === undefined || n === 0) return Array.from({ length: n }, () => undefined);
  return random.split(key, n);
}

/** A parameterless layer that applies `fn` elementwise (or along an axis); params are `[]`, as stax's `()`. */
function elementwise(fn: (x: Value) => Value): Layer<[]> {
  return {
    init: (_key, inputShape) => [inputShape, []],
    apply: (_params, x) => fn(x),
  };
}

// ---- layers ---------------------------------------------------------------------------------

export interface DenseOptions {
  /** Initializer of the weights `w` [in, out] (default glorotNormal(), as stax). */
  wInit?: Initializer;
  /** Initializer of the bias `b` [out] (default normal(1e-2), as stax). */
  bInit?: Initializer;
  /** dtype of the parameters (default float32). */
  dtype?: "float32" | "float64";
}

/** Params of a Dense layer. */
export interface DenseParams {
  w: Value;
  b: Value;
}

/**
 * A fully connected layer: `x @ w + b`, with `w` of shape [in, out] and `b`
 * of shape [out]. Works for any number of leading batch dimensions.
 * @example
 * const layer = nn.Dense(3);
 * const [outShape, params] = layer.init(random.key(0), [-1, 5]); // outShape [-1, 3]
 * const y = layer.apply(params, np.ones([4, 5]));                  // shape [4, 3]
 */
export function Dense(outDim: number, options: DenseOptions = {}): Layer<DenseParams> {
  const { wInit = glorotNormal(), bInit = normal(), dtype = "float32" } = optionsArg("nn.Dense", options);
  if (!Number.isInteger(outDim) || outDim < 1) throw new ShapeError(`nn.Dense: the output size must be a positive integer, got ${describe(outDim)}`);
  return {
    init(key, inputShape) {
      const shape = arrayShape("nn.Dense", inputShape);
      const inDim = shape[shape.length - 1];
      if (shape.length === 0 || !(inDim > 0)) {
        throw new ShapeError(`nn.Dense: the input shape needs a known last dimension (the features), got [${shape.join(", ")}]`);
      }
      const [k1, k2] = random.split(key);
      return [
        [...shape.slice(0, -1), outDim],
        { w: wInit(k1, [inDim, outDim], dtype), b: bInit(k2, [outDim], dtype) },
      ];
    },
    apply(params, x) {
      if (x.ndim === 0 || x.shape[x.ndim - 1] !== params.w.shape[0]) {
        throw new ShapeError(`nn.Dense: input of shape [${x.shape.join(", ")}] does not match weights of shape [${params.w.shape.join(", ")}]; the last axis must have ${params.w.shape[0]} features`);
      }
      return np.add(np.matmul(x, params.w), params.b);
    },
  };
}

/**
 * The identity layer.
 * @example
 * nn.Identity.apply([], np.ones([2])); // [1, 1]
 */
export const Identity: Layer<[]> = elementwise((x) => x);
/**
 * `nn.relu` as a layer.
 * @example
 * nn.Relu.apply([], np.array([-1, 2])); // [0, 2]
 */
export const Relu: Layer<[]> = elementwise(act.relu);
/**
 * `nn.sigmoid` as a layer.
 * @example
 * nn.Sigmoid.apply([], np.array([0])); // [0.5]
 */
export const Sigmoid: Layer<[]> = elementwise(act.sigmoid);
/**
 * `np.tanh` as a layer.
 * @example
 * nn.Tanh.apply([], np.array([0])); // [0]
 */
export const Tanh: Layer<[]> = elementwise(act.tanh);
/**
 * `nn.gelu` (tanh approximation) as a layer.
 * @example
 * nn.Gelu.apply([], np.array([1])); // [0.841192]
 */
export const Gelu: Layer<[]> = elementwise((x) => act.gelu(x));
/**
 * `nn.silu` as a layer.
 * @example
 * nn.Silu.apply([], np.array([0])); // [0]
 */
export const Silu: Layer<[]> = elementwise(act.silu);
/**
 * `nn.softplus` as a layer.
 * @example
 * nn.Softplus.apply([], np.array([0])); // [0.6931472]
 */
export const Softplus: Layer<[]> = elementwise(act.softplus);
/**
 * `nn.elu` as a layer.
 * @example
 * nn.Elu.apply([], np.array([-1])); // [-0.6321206]
 */
export const Elu: Layer<[]> = elementwise((x) => act.elu(x));
/**
 * `nn.leakyRelu` as a layer.
 * @example
 * nn.LeakyRelu(0.1).apply([], np.array([-1])); // [-0.1]
 */
export const LeakyRelu = (negativeSlope = 0.01): Layer<[]> => elementwise((x) => act.leakyRelu(x, negativeSlope));
/**
 * `nn.softmax` over the last axis as a layer.
 * @example
 * nn.Softmax.apply([], np.array([[1, 1]])); // [[0.5, 0.5]]
 */
export const Softmax: Layer<[]> = elementwise((x) => act.softmax(x, -1));
/**
 * `nn.logSoftmax` over the last axis as a layer.
 * @example
 * nn.LogSoftmax.apply([], np.array([[0, 0]])); // [[-0.6931472, -0.6931472]]
 */
export const LogSoftmax: Layer<[]> = elementwise((x) => act.logSoftmax(x, -1));

/**
 * Flattens all axes but the first (the batch): [batch, ...rest] → [batch, prod(rest)].
 * @example
 * const [shape] = nn.Flatten.init(random.key(0), [-1, 28, 28]); // [-1, 784]
 * nn.Flatten.apply([], np.ones([2, 3, 4])).shape;                // [2, 12]
 */
export const Flatten: Layer<[]> = {
  init(_key, inputShape) {
    const shape = arrayShape("nn.Flatten", inputShape);
    if (shape.length < 1) throw new ShapeError("nn.Flatten: the input needs a batch axis");
    const rest = shape.slice(1);
    return [[shape[0], rest.some((d) => d < 0) ? -1 : rest.reduce((p, d) => p * d, 1)], []];
  },
  apply(_params, x) {
    if (x.ndim < 1) throw new ShapeError("nn.Flatten: the input needs a batch axis");
    return np.reshape(x, [x.shape[0], x.shape.slice(1).reduce((p, d) => p * d, 1)]);
  },
};

/**
 * Dropout: when training, each unit is zeroed with probability `rate` and
 * the others are scaled by 1 / (1 - rate), so the expected output is the
 * input; when not training, the identity. Training needs a key. Note that
 * `rate` is the probability of dropping (stax's Dropout takes the
 * probability of keeping).
 * @example
 * const drop = nn.Dropout(0.5);
 * const x = np.ones([4, 4]);
 * drop.apply([], x);                                                // x itself
 * drop.apply([], x, { training: true, key: random.key(0) });       // about half zeros, the rest 2
 */
export function Dropout(rate: number): Layer<[]> {
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new ShapeError(`nn.Dropout: rate must be a probability in [0, 1], got ${describe(rate)}`);
  return {
    init: (_key, inputShape) => [inputShape, []],
    apply(_params, x, { key, training = false } = {}) {
      if (!training || rate === 0) return x;
      if (key === undefined) {
        throw new UnsupportedError("nn.Dropout: training needs a PRNG key: pass { training: true, key } to apply (or { training: false } to turn dropout off)");
      }
      if (rate === 1) return np.zerosLike(x);
      const keep = random.bernoulli(key, 1 - rate, x.shape);
      return np.where(keep, np.divide(x, 1 - rate), np.zerosLike(x));
    },
  };
}

// ---- combinators ---------------------------------------------------------------------------

/**
 * Layers one after another: the output of each is the input of the next.
 * Params are a JS array with each layer's params; the key (at init, and at
 * apply when given) is split among the layers.
 * @example
 * const net = nn.serial(nn.Dense(16), nn.Relu, nn.Dense(1));
 * const [outShape, params] = net.init(random.key(0), [-1, 3]); // outShape [-1, 1]
 * const y = net.apply(params, np.ones([8, 3]));                 // shape [8, 1]
 */
export function serial<const L extends readonly AnyLayer[]>(...layers: L): SerialLayer<ParamsOfLayers<L>>;
/** With explicit input and output types (`nn.serial<In, Out>(...)`): the params are then `unknown[]`. */
export function serial<In = Value, Out = Value>(...layers: AnyLayer[]): Layer<unknown[], In, Out>;
export function serial<In = Value, Out = Value>(...layers: AnyLayer[]): Layer<unknown[], In, Out> {
  return {
    initWithState(key, inputShape) {
      const keys = random.split(key, layers.length);
      const params: unknown[] = [];
      const states: unknown[] = [];
      let shape = inputShape;
      layers.forEach((layer, i) => {
        const [out, p, s] = initWithState(layer, keys[i], shape);
        shape = out;
        params.push(p);
        states.push(s);
      });
      return [shape, params, states];
    },
    applyWithState(params, state, x, options = {}) {
      if (!Array.isArray(params) || params.length !== layers.length) {
        throw new ShapeError(`nn.serial: expected params for ${layers.length} layers (a JS array), got ${Array.isArray(params) ? `${params.length}` : typeof params}`);
      }
      if (!Array.isArray(state) || state.length !== layers.length) {
        throw new ShapeError(`nn.serial: expected a state for each of ${layers.length} layers (a JS array, from nn.initWithState), got ${Array.isArray(state) ? `${state.length}` : typeof state}`);
      }
      const keys = splitKey(options.key, layers.length);
      let y: unknown = x;
      const states: unknown[] = [];
      layers.forEach((layer, i) => {
        const [out, s] = applyWithState(layer, params[i], state[i], y as never, { ...options, key: keys[i] });
        y = out;
        states.push(s);
      });
      return [y as Out, states];
    },
    init(key, inputShape) {
      const keys = random.split(key, layers.length);
      const params: unknown[] = [];
      let shape = inputShape;
      layers.forEach((layer, i) => {
        const [out, p] = layer.init(keys[i], shape);
        shape = out;
        params.push(p);
      });
      return [shape, params];
    },
    apply(params, x, options = {}) {
      if (!Array.isArray(params) || params.length !== layers.length) {
        throw new ShapeError(`nn.serial: expected params for ${layers.length} layers (a JS array), got ${Array.isArray(params) ? `${params.length}` : typeof params}`);
      }
      const keys = splitKey(options.key, layers.length);
      let y: unknown = x;
      layers.forEach((layer, i) => {
        y = layer.apply(params[i], y as never, { ...options, key: keys[i] });
      });
      return y as Out;
    },
  };
}

/**
 * Layers side by side: the input is a list with one array per layer, and so
 * are the output and the params (stax's `parallel`).
 * @example
 * const both = nn.parallel(nn.Dense(2), nn.Relu);
 * const [shapes, params] = both.init(random.key(0), [[-1, 3], [-1, 4]]); // [[-1, 2], [-1, 4]]
 * const [a, b] = both.apply(params, [np.ones([5, 3]), np.ones([5, 4])]);
 */
export function parallel(...layers: AnyLayer[]): Layer<unknown[], Value[], Value[]> {
  return {
    initWithState(key, inputShape) {
      const shapes = shapeList("nn.parallel", inputShape);
      if (shapes.length !== layers.length) throw new ShapeError(`nn.parallel: ${layers.length} layers need ${layers.length} input shapes, got ${shapes.length}`);
      const keys = random.split(key, layers.length);
      const outs = layers.map((layer, i) => initWithState(layer, keys[i], shapes[i]));
      return [outs.map((o) => o[0]), outs.map((o) => o[1]), outs.map((o) => o[2])];
    },
    applyWithState(params, state, xs, options = {}) {
      if (!Array.isArray(xs) || xs.length !== layers.length) {
        throw new ShapeError(`nn.parallel: ${layers.length} layers need a list of ${layers.length} inputs, got ${Array.isArray(xs) ? xs.length : typeof xs}`);
      }
      if (!Array.isArray(state) || state.length !== layers.length) {
        throw new ShapeError(`nn.parallel: expected a state for each of ${layers.length} layers (a JS array, from nn.initWithState), got ${Array.isArray(state) ? `${state.length}` : typeof state}`);
      }
      const keys = splitKey(options.key, layers.length);
      const outs = layers.map((layer, i) => applyWithState(layer, params[i], state[i], xs[i] as never, { ...options, key: keys[i] }));
      return [outs.map((o) => o[0] as Value), outs.map((o) => o[1])];
    },
    init(key, inputShape) {
      const shapes = shapeList("nn.parallel", inputShape);
      if (shapes.length !== layers.length) throw new ShapeError(`nn.parallel: ${layers.length} layers need ${layers.length} input shapes, got ${shapes.length}`);
      const keys = random.split(key, layers.length);
      const outs = layers.map((layer, i) => layer.init(keys[i], shapes[i]));
      return [outs.map((o) => o[0]), outs.map((o) => o[1])];
    },
    apply(params, xs, options = {}) {
      if (!Array.isArray(xs) || xs.length !== layers.length) {
        throw new ShapeError(`nn.parallel: ${layers.length} layers need a list of ${layers.length} inputs, got ${Array.isArray(xs) ? xs.length : typeof xs}`);
      }
      const keys = splitKey(options.key, layers.length);
      return layers.map((layer, i) => layer.apply(params[i], xs[i] as never, { ...options, key: keys[i] }) as Value);
    },
  };
}

/**
 * Copies the input into a list of `n` (for `parallel` branches).
 * @example
 * const net = nn.serial(nn.fanOut(2), nn.parallel(nn.Dense(3), nn.Identity), nn.FanInConcat());
 */
export function fanOut(n: number): Layer<[], Value, Value[]> {
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(`nn.fanOut: n must be a positive integer, got ${describe(n)}`);
  return {
    init: (_key, inputShape) => [Array.from({ length: n }, () => inputShape), []],
    apply: (_params, x) => Array.from({ length: n }, () => x),
  };
}

/**
 * Sums a list of inputs (of one shape) into one array.
 * @example
 * nn.FanInSum.apply([], [np.ones([2]), np.ones([2])]); // [2, 2]
 */
export const FanInSum: Layer<[], Value[], Value> = {
  init(_key, inputShape) {
    const shapes = shapeList("nn.FanInSum", inputShape);
    if (shapes.length === 0) throw new ShapeError("nn.FanInSum: needs at least one input");
    return [shapes[0], []];
  },
  apply(_params, xs) {
    if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError("nn.FanInSum: expects a non-empty list of arrays");
    return xs.slice(1).reduce((acc: Value, x) => np.add(acc, x), xs[0]);
  },
};

/**
 * Concatenates a list of inputs along `axis` (default -1).
 * @example
 * nn.FanInConcat().apply([], [np.ones([2, 3]), np.ones([2, 1])]).shape; // [2, 4]
 */
export function FanInConcat(axis = -1): Layer<[], Value[], Value> {
  return {
    init(_key, inputShape) {
      const shapes = shapeList("nn.FanInConcat", inputShape).map((s) => arrayShape("nn.FanInConcat", s));
      if (shapes.length === 0) throw new ShapeError("nn.FanInConcat: needs at least one input");
      const rank = shapes[0].length;
      const a = axis < 0 ? axis + rank : axis;
      if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`nn.FanInConcat: axis ${describe(axis)} is out of range for rank ${rank}`);
      const size = shapes.some((s) => s[a] < 0) ? -1 : shapes.reduce((p, s) => p + s[a], 0);
      const out = [...shapes[0]];
      out[a] = size;
      return [out, []];
    },
    apply(_params, xs) {
      if (!Array.isArray(xs) || xs.length === 0) throw new ShapeError("nn.FanInConcat: expects a non-empty list of arrays");
      return np.concatenate(xs, axis);
    },
  };
}

// ---- state (BatchNorm's running statistics) -------------------------------------------------

function checkLayer(op: string, layer: unknown): AnyLayer {
  if (typeof layer !== "object" || layer === null || typeof (layer as AnyLayer).init !== "function" || typeof (layer as AnyLayer).apply !== "function") {
    throw new ShapeError(`${op}: expected a layer (an object with init and apply, such as nn.Dense(3) or nn.serial(...)), got ${describe(layer)}`);
  }
  return layer as AnyLayer;
}

/**
 * A layer's output shape, params and initial state. Layers with state
 * (BatchNorm) keep it apart from their params: the params are what `grad`
 * differentiates and the optimizer updates, the state is what `apply` in
 * training mode updates (running statistics). Every layer has a state: a
 * stateless one's is `[]`, a combinator's the list of its layers' states.
 * Params are the same as `layer.init(key, inputShape)` gives.
 * @example
 * const net = nn.serial(nn.Dense(4), nn.BatchNorm(), nn.Relu);
 * const [outShape, params, state] = nn.initWithState(net, random.key(0), [-1, 3]);
 * const [y, newState] = nn.applyWithState(net, params, state, np.ones([8, 3]), { training: true });
 */
export function initWithState<P, In, Out>(layer: Layer<P, In, Out>, key: Key, inputShape: LayerShape): [LayerShape, P, unknown] {
  const l = checkLayer("nn.initWithState", layer) as unknown as Layer<P, In, Out>;
  if (typeof l.initWithState === "function") return l.initWithState(key, inputShape);
  const [shape, params] = l.init(key, inputShape);
  return [shape, params, []];
}

/**
 * Applies a layer with its state and returns `[output, newState]`. In
 * training mode (`{ training: true }`) BatchNorm normalizes with the batch's
 * statistics and returns updated running statistics; otherwise it normalizes
 * with the running statistics and returns the state unchanged. For a
 * stateless layer this is `[layer.apply(params, x, options), state]`. Under
 * `grad`, return the new state as auxiliary output (`{ hasAux: true }`).
 * @example
 * const bn = nn.BatchNorm();
 * const [, params, state] = nn.initWithState(bn, random.key(0), [-1, 2]);
 * const x = np.array([[1, 2], [3, 6]]);
 * const [y, stats] = nn.applyWithState(bn, params, state, x, { training: true }); // stats.mean ≈ [0.02, 0.04]
 * const [yEval] = nn.applyWithState(bn, params, stats, x);                        // normalized with the running stats
 */
export function applyWithState<P, In, Out>(layer: Layer<P, In, Out>, params: P, state: unknown, x: In, options: ApplyOptions = {}): [Out, unknown] {
  const l = checkLayer("nn.applyWithState", layer) as unknown as Layer<P, In, Out>;
  if (typeof l.applyWithState === "function") return l.applyWithState(params, state, x, options);
  return [l.apply(params, x, options), state];
}
