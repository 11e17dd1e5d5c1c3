// TEMPORARY naive routines (being replaced by the blocked implementation)
import type { TypedArray, DType } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import type { BufferType } from "../device.js";
export type CpuRoutine = (inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[], params: Record<string, unknown>) => TypedArray[];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const out0 = (t: BufferType) => allocate(t.dtype as DType, size(t.shape));
export const cpuRoutines: Record<string, CpuRoutine> = {
  dot([a, b], _i, [o], p: any) {
    const out = out0(o);
    const [la, lm, lk] = p.lhsStrides, [ra, rk, rn] = p.rhsStrides;
    for (let bb = 0; bb < p.batch; bb++) for (let i = 0; i < p.m; i++) for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let k = 0; k < p.k; k++) s += a[bb * la + i * lm + k * lk] * b[bb * ra + k * rk + j * rn];
      out[(bb * p.m + i) * p.n + j] = s;
    }
    return [out];
  },
  pad([x, v], [it], [o], p: any) {
    const out = out0(o).fill(v[0]);
    const inS = it.shape, outS = o.shape, nd = inS.length;
    const idx = new Array(nd).fill(0);
    for (let f = 0; f < x.length; f++) {
      let r = f, off = 0, ok = true, mul = 1;
      const pos: number[] = [];
      for (let d = nd - 1; d >= 0; d--) { idx[d] = r % inS[d]; r = Math.floor(r / inS[d]); }
      for (let d = 0; d < nd; d++) { const q = p.lo[d] + idx[d] * (p.interior[d] + 1); if (q < 0 || q >= outS[d]) ok = false; pos.push(q); }
      if (!ok) continue;
      for (let d = nd - 1; d >= 0; d--) { off += pos[d] * mul; mul *= outS[d]; }
      out[off] = x[f];
    }
    return [out];
  },
  concatenate(xs, its, [o], p: any) {
    const out = out0(o); const ax = p.axis;
    const outer = size(o.shape.slice(0, ax)), inner = size(o.shape.slice(ax + 1));
    let off = 0;
    xs.forEach((x, k) => { const n = its[k].shape[ax];
      for (let a = 0; a < outer; a++) for (let i = 0; i < n * inner; i++) out[a * o.shape[ax] * inner + off * inner + i] = x[a * n * inner + i];
      off += n; });
    return [out];
  },
  cumulative([x], _i, [o], p: any) {
    const out = out0(o);
    for (let a = 0; a < p.outer; a++) for (let c = 0; c < p.inner; c++) {
      let acc = p.op === "sum" ? 0 : p.op === "prod" ? 1 : NaN;
      for (let t = 0; t < p.n; t++) {
        const i = p.reverse ? p.n - 1 - t : t; const v = x[(a * p.n + i) * p.inner + c];
        if (t === 0) acc = v; else if (p.op === "sum") acc += v; else if (p.op === "prod") acc *= v; else if (p.op === "max") acc = acc !== acc || v !== v ? NaN : Math.max(acc, v); else acc = acc !== acc || v !== v ? NaN : Math.min(acc, v);
        out[(a * p.n + i) * p.inner + c] = acc;
      }
    }
    return [out];
  },
  argreduce([x], _i, [o], p: any) {
    const out = out0(o);
    for (let a = 0; a < p.outer; a++) for (let c = 0; c < p.inner; c++) {
      let best = 0, bv = x[a * p.n * p.inner + c];
      for (let i = 1; i < p.n; i++) { const v = x[(a * p.n + i) * p.inner + c]; if (bv !== bv) break; if (v !== v || (p.op === "max" ? v > bv : v < bv)) { best = i; bv = v; } }
      out[a * p.inner + c] = best;
    }
    return [out];
  },
};
