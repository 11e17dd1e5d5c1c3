/**
 * a·b + c rounded once, as XLA computes it where it contracts a multiply and an
 * add into a fused multiply-add (uniform's `floats * (maxval - minval) + minval`,
 * each Horner step of its log, erf and erfinv): lax's internal `fma` primitive
 * (src/lax/fma.ts), correctly rounded on the CPU, WGSL's `fma` on WebGPU.
 */
export { fma } from "../lax/fma.js";
