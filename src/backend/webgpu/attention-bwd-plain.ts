/**
 * The plain dq and dk/dv kernels of the WebGPU fused attention backward
 * (attention-bwd.ts, which says the arithmetic and runs the statistics
 * kernel both versions share): one thread per query row (dq, dbias) or key
 * row (dk, dv), reading its operands straight from global memory, no
 * workgroup tiles and so no barriers. attention-bwd.ts takes these on a
 * software adapter (lavapipe): there global memory is the CPU's cached
 * memory, and the tiled kernels took 1.2 to 2 times as long as these
 * (bench/attention-bwd-webgpu.ts, B 8, 4 heads of 32, T 128 and 256). The
 * cost is the barriers: the same tiled kernels with their barriers taken out
 * (wrong results; a timing experiment only) ran faster than these. Each
 * thread adds its terms in the same order as the tiled kernels, so both give
 * the same numbers.
 */

/** Threads of a workgroup (one row each). */
export const PLAIN_THREADS = 64;

/**
 * The plain kernel of a stage; `prelude` holds the bindings, the parameter
 * functions and MASKED (attention-bwd.ts), `maskLogit` the bias and masks of a logit.
 */
export function plainShader(stage: "dq" | "dkv", H: number, causal: boolean, hasBias: boolean, hasMask: boolean, prelude: string, maskLogit: (x: string, r: string, j: string, t: string) => string): string {
  const head = `${prelude}
// the logit of query row qb (into q) and key row kb (into k) at row r, key j, query t, masked; and whether it is kept
fn logit(qb: u32, kb: u32, r: u32, j: u32, t: u32) -> vec2<f32> {
  let S = pS();
  var x = 0.0;
  for (var h = 0u; h < pH(); h++) { x += q[qb + h] * k[kb + h]; }
  ${maskLogit("x", "r", "j", "t")}
  return vec2<f32>(x, keep);
}
@compute @workgroup_size(${PLAIN_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let T = pT();
  let S = pS();
  let N = pN();
  let K = pK();
  let G = N / K;
  let H = pH();
  let i = (wid.y * groups.x + wid.x) * ${PLAIN_THREADS}u + lid;`;
  const plainCausal = causal && !hasMask;
  if (stage === "dq") {
    return `${head}
  if (i >= pB() * N * T) { return; }
  let b = i / (N * T);
  let n = (i / T) % N;
  let t = i % T;
  let o = ((b * T + t) * N + n) * H;
  let d = stats[3u * i];
  let shift = stats[3u * i + 1u];
  let scale = stats[3u * i + 2u];
  var acc: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) { acc[h] = 0.0; }
  ${plainCausal && !hasBias ? "let send = min(S, t + 1u);" : "let send = S;"}
  for (var j = 0u; j < send; j++) {
    let kb = ((b * S + j) * K + n / G) * H;
    let xk = logit(o, kb, i, j, t);
    let p = exp(xk.x - shift) * scale;
    var dp = 0.0;
    for (var h = 0u; h < H; h++) { dp += dout[o + h] * v[kb + h]; }
    let ds = select(0.0, p * (dp - d), xk.y > 0.0);
    ${hasBias ? "dbias[i * S + j] = ds;" : ""}
    for (var h = 0u; h < H; h++) { acc[h] += ds * k[kb + h]; }
  }
  for (var h = 0u; h < H; h++) { dq[o + h] = acc[h]; }
}`;
  }
  return `${head}
  if (i >= pB() * S * K) { return; }
  let b = i / (S * K);
  let j = (i / K) % S;
  let kvh = i % K;
  let kb = i * H;
  var ak: array<f32, ${H}>;
  var av: array<f32, ${H}>;
  for (var h = 0u; h < H; h++) { ak[h] = 0.0; av[h] = 0.0; }
  for (var g = 0u; g < G; g++) {
    let n = kvh * G + g;
    ${plainCausal ? "for (var t = j; t < T; t++) {" : "for (var t = 0u; t < T; t++) {"}
      let r = (b * N + n) * T + t;
      let o = ((b * T + t) * N + n) * H;
      let xk = logit(o, kb, r, j, t);
      let p = exp(xk.x - stats[3u * r + 1u]) * stats[3u * r + 2u];
      var dp = 0.0;
      for (var h = 0u; h < H; h++) { dp += dout[o + h] * v[kb + h]; }
      let ds = select(0.0, p * (dp - stats[3u * r]), xk.y > 0.0);
      for (var h = 0u; h < H; h++) {
        av[h] += p * dout[o + h];
        ak[h] += ds * q[o + h];
      }
    }
  }
  for (var h = 0u; h < H; h++) {
    dk[kb + h] = ak[h];
    dv[kb + h] = av[h];
  }
}`;
}
