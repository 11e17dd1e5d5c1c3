/**
 * `scipy`: JAX's `jax.scipy` namespaces: `special` (special functions),
 * `stats` (distributions as objects of functions) and `optimize` (`minimize` with BFGS).
 */
export * as special from "./special.js";
export * as stats from "./stats.js";
export * as optimize from "./optimize.js";
