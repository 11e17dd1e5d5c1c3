/**
 * jaxon's typed errors. Each message names the operation, the shapes or dtypes
 * involved, and what to do about it, so that a user can act on it without
 * reading jaxon's source.
 */

/** Base class of every error jaxon throws on purpose. */
export class JaxonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an operation (broadcasting, reshape, matmul, axes). */
export class ShapeError extends JaxonError {}

/** A dtype an operation cannot take, or two that cannot be combined. */
export class DTypeError extends JaxonError {}

/** A traced value was used where a concrete value is needed (`if`, `Number(x)`). */
export class ConcretizationError extends JaxonError {}

/** A tracer escaped the transformation that made it and was used afterwards. */
export class TracerLeakError extends JaxonError {}

/** Something jaxon does not do (yet), or not under this transformation. */
export class UnsupportedError extends JaxonError {}

/** The device failed: a lost GPU, a shader that did not validate, a missing adapter. */
export class BackendError extends JaxonError {}

/**
 * An argument of the wrong kind, where neither its shape nor its dtype is the
 * problem: a function, an options object or a list was expected and something
 * else came (`grad(3)`, `np.hstack(x)` with an array instead of a list).
 */
export class ArgumentError extends JaxonError {}

/**
 * A collective (`lax.psum`, `lax.axisIndex`, …) named an axis that no enclosing
 * `vmap`/`pmap`/`shardMap` binds (JAX's NameError "unbound axis name").
 */
export class AxisNameError extends JaxonError {}

/**
 * A primitive produced a NaN (or an infinity) while `debugNans` (or
 * `debugInfs`) was on, as JAX's `FloatingPointError` under `jax_debug_nans`.
 * `primitive` names the primitive that produced it (inside a jitted function,
 * the one found by running the function again op by op).
 */
export class FloatingPointError extends JaxonError {
  constructor(
    message: string,
    /** The primitive whose output held the NaN or infinity. */
    readonly primitive: string,
  ) {
    super(message);
  }
}

/** A transfer between the host and a device that a `transferGuard` scope disallows (JAX's transfer guard error). */
export class TransferGuardError extends JaxonError {}

/** Tracing or execution inside a `noTracing` / `noExecution` scope that forbids it (JAX raises a RuntimeError there). */
export class ConfigScopeError extends JaxonError {}

/** A PRNG key consumed a second time (split, or drawn from) inside a `debugKeyReuse` scope, as JAX's KeyReuseError. */
export class KeyReuseError extends JaxonError {}
