/**
 * random: JAX's `jax.random` with raw uint32 keys of shape [2]. Keys are
 * explicit and functional: split a key for every independent use. Written
 * only in lax ops (threefry2x32, sort, ...), so every sampler works under
 * jit, vmap (over keys too) and grad.
 *
 * The keys, bits and samples are those of JAX's default PRNG (threefry2x32,
 * partitionable mode, the default since JAX 0.5) for the same seed; see
 * distributions.ts for the last-bit differences of some float samplers.
 * @example
 * let k = random.key(0);
 * const [k1, k2] = random.split(k);
 * const x = random.normal(k1, [3, 4]);
 */
export { key, PRNGKey, split, splitArray, foldIn, bits, keyData } from "./keys.js";
export type { Key, ShapeLike } from "./keys.js";
export {
  uniform, normal, truncatedNormal, gumbel, exponential, bernoulli, randint, permutation, categorical, choice,
} from "./distributions.js";
export type {
  UniformOptions, FloatOptions, ExactOptions, TruncatedNormalOptions, IntOptions, PermutationOptions, CategoricalOptions, ChoiceOptions,
} from "./distributions.js";
export {
  laplace, logistic, cauchy, lognormal, rademacher, pareto, rayleigh, weibullMin, geometric, triangular, maxwell, doubleSidedMaxwell,
  gamma, loggamma, beta, dirichlet, chisquare, f, t, generalizedNormal, ball, multivariateNormal, orthogonal, clone, wrapKeyData,
} from "./distributions-extra.js";
export type { MultivariateNormalOptions, OrthogonalOptions } from "./distributions-extra.js";
export { poisson } from "./poisson.js";
export { binomial, multinomial } from "./binomial.js";
