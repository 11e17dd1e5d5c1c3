/**
 * The computation behind the live example on the "Try it in your browser"
 * page: a line fitted to a few points by gradient descent, the whole training
 * run one `jit`ted function (a `lax.scan` over the steps), on whatever device
 * `init()` picked. It takes jaxon as an argument so that the page can load the
 * library lazily (never during the static build) and so that it can be run
 * in Node just the same.
 */
import type * as Jaxon from "../../../src/index.js";

// #region fit
/** The data: `n` points on y = 3x − 0.5 with a wiggle, x evenly spaced in [−1, 1]. */
export function linePoints(n = 24): { xs: number[]; ys: number[] } {
  const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  return { xs, ys: xs.map((x) => 3 * x - 0.5 + 0.25 * Math.sin(9 * x)) };
}

export interface FitResult {
  /** The device the arrays lived on: "webgpu" or "cpu". */
  device: string;
  w: number;
  b: number;
  /** The mean squared error before each step. */
  losses: number[];
  /** Wall time of the fit (the first call includes tracing and compiling). */
  ms: number;
}

let devicePromise: Promise<string> | null = null;

/** Calls `init()` once (WebGPU when the browser has an adapter, else the CPU) and returns the default device. */
export function initDevice(jaxon: typeof Jaxon): Promise<string> {
  devicePromise ??= jaxon.init({ quiet: true }).then(() => jaxon.defaultDevice());
  return devicePromise;
}

/**
 * Fits y ≈ w·x + b to the points by `steps` steps of gradient descent with
 * learning rate `lr` on the mean squared error, from w = b = 0.
 */
export async function fitLine(jaxon: typeof Jaxon, options: { steps: number; lr: number; n?: number }): Promise<FitResult> {
  const { jit, lax, np, valueAndGrad } = jaxon;
  type Params = { w: Jaxon.Value; b: Jaxon.Value };
  const device = await initDevice(jaxon);
  const { xs, ys } = linePoints(options.n);
  const x = np.array(xs);
  const y = np.array(ys);

  const mse = (p: Params) => p.w.mul(x).add(p.b).sub(y).square().mean();
  // one step of gradient descent; the carry is the params, the output the loss before the step
  const step = (lr: Jaxon.Value) => (p: Params, _: null): [Params, Jaxon.Value] => {
    const [loss, g] = valueAndGrad(mse)(p);
    return [{ w: p.w.sub(g.w.mul(lr)), b: p.b.sub(g.b.mul(lr)) }, loss];
  };
  // the whole run is one jitted function of the learning rate: a single dispatch, a single readback
  const train = jit((lr: Jaxon.Value) => lax.scan(step(lr), { w: np.array(0), b: np.array(0) }, null, { length: options.steps }));

  const t0 = performance.now();
  const [params, losses] = train(np.array(options.lr));
  const [w, b, curve] = await Promise.all([params.w.item(), params.b.item(), losses.data()]);
  return { device, w, b, losses: Array.from(curve), ms: performance.now() - t0 };
}
// #endregion fit
