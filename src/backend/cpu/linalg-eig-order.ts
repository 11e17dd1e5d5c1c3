/**
 * The eigenvalues of a real upper Hessenberg matrix in LAPACK's order: the
 * small-matrix double-shift QR of LAPACK's dlahqr (what dhseqr runs below
 * n = 75, so what geev runs for the matrices jaxon's eig is meant for),
 * written from its published description: deflation by the Ahues–Tisseur
 * test, Francis shifts from the trailing 2×2 block (a real pair used as one
 * double real shift), exceptional shifts every 10 iterations without
 * deflation, a bulge start at two consecutive small subdiagonals, and the
 * 2×2 blocks standardized as dlanv2 does (which decides the order of a real
 * pair and puts a complex pair's positive imaginary part first).
 *
 * The real eig routine (linalg-eig.ts) takes its eigenvalues' ORDER from
 * here; its vectors come from its own Schur form and are matched to these
 * values. Only the active block is iterated (eigenvalues only), which gives
 * the same sequence of eigenvalues as LAPACK computing the full Schur form.
 */

const ULP = 2 ** -52;
const SAFMIN = 2 ** -1022;

const sign = (a: number, b: number) => (b >= 0 || Object.is(b, 0) ? Math.abs(a) : -Math.abs(a));

/** dlanv2: the standardized Schur form of a real 2×2 block: its eigenvalues (rt1r, rt1i, rt2r, rt2i) in LAPACK's order. */
export function standardize2x2(a: number, b: number, c: number, d: number): [number, number, number, number] {
  if (c === 0) {
    // already upper triangular
  } else if (b === 0) {
    // swap rows and columns
    const t = d;
    d = a;
    a = t;
    b = -c;
    c = 0;
  } else if (a - d === 0 && Math.sign(b) !== Math.sign(c)) {
    // a standardized complex block already
  } else {
    const temp = a - d;
    let p = 0.5 * temp;
    const bcmax = Math.max(Math.abs(b), Math.abs(c));
    const bcmis = Math.min(Math.abs(b), Math.abs(c)) * sign(1, b) * sign(1, c);
    let scale = Math.max(Math.abs(p), bcmax);
    let z = (p / scale) * p + (bcmax / scale) * bcmis;
    if (z >= 4 * ULP) {
      // real eigenvalues
      z = p + sign(Math.sqrt(scale) * Math.sqrt(z), p);
      a = d + z;
      d = d - (bcmax / z) * bcmis;
      b = b - c;
      c = 0;
    } else {
      // complex, or real and nearly equal: make the diagonal equal
      const sigma = b + c;
      scale = Math.max(Math.abs(temp), Math.abs(sigma));
      p = 0.5 * temp;
      const tau = Math.hypot(sigma, temp);
      const cs = Math.sqrt(0.5 * (1 + Math.abs(sigma) / tau));
      const sn = -(p / (tau * cs)) * sign(1, sigma);
      const aa = a * cs + b * sn;
      const bb = -a * sn + b * cs;
      const cc = c * cs + d * sn;
      const dd = -c * sn + d * cs;
      a = aa * cs + cc * sn;
      b = bb * cs + dd * sn;
      c = -aa * sn + cc * cs;
      d = -bb * sn + dd * cs;
      const mid = 0.5 * (a + d);
      a = mid;
      d = mid;
      if (c !== 0) {
        if (b !== 0) {
          if (Math.sign(b) === Math.sign(c)) {
            // real eigenvalues after all
            const sab = Math.sqrt(Math.abs(b));
            const sac = Math.sqrt(Math.abs(c));
            p = sign(sab * sac, c);
            a = mid + p;
            d = mid - p;
            b = b - c;
            c = 0;
          }
        } else {
          b = -c;
          c = 0;
        }
      }
    }
  }
  if (c === 0) return [a, 0, d, 0];
  const im = Math.sqrt(Math.abs(b)) * Math.sqrt(Math.abs(c));
  return [a, im, d, -im];
}

/**
 * The eigenvalues of the n×n row-major upper Hessenberg `h` (destroyed),
 * rows and columns outside ilo..ihi already triangular (balancing), into
 * (wr, wi) in LAPACK's order. Returns false when the iterations did not converge.
 */
export function lapackHessenbergEigenvalues(h: Float64Array, n: number, ilo: number, ihi: number, wr: Float64Array, wi: Float64Array): boolean {
  const H = (i: number, j: number) => h[i * n + j];
  const set = (i: number, j: number, v: number) => {
    h[i * n + j] = v;
  };
  for (let i = 0; i < ilo; i++) {
    wr[i] = H(i, i);
    wi[i] = 0;
  }
  for (let i = ihi + 1; i < n; i++) {
    wr[i] = H(i, i);
    wi[i] = 0;
  }
  if (ilo === ihi) {
    wr[ilo] = H(ilo, ilo);
    wi[ilo] = 0;
    return true;
  }
  // clear out the trash below the subdiagonal
  for (let j = ilo; j <= ihi - 3; j++) {
    set(j + 2, j, 0);
    set(j + 3, j, 0);
  }
  if (ilo <= ihi - 2) set(ihi, ihi - 2, 0);
  const nh = ihi - ilo + 1;
  const smlnum = SAFMIN * (nh / ULP);
  const itmax = 30 * Math.max(10, nh);
  let kdefl = 0;
  let i = ihi;
  const v = [0, 0, 0];
  while (i >= ilo) {
    let l = ilo;
    let converged = false;
    for (let its = 0; its <= itmax; its++) {
      // a single small subdiagonal element
      let k = i;
      for (; k > l; k--) {
        if (Math.abs(H(k, k - 1)) <= smlnum) break;
        let tst = Math.abs(H(k - 1, k - 1)) + Math.abs(H(k, k));
        if (tst === 0) {
          if (k - 2 >= ilo) tst += Math.abs(H(k - 1, k - 2));
          if (k + 1 <= ihi) tst += Math.abs(H(k + 1, k));
        }
        if (Math.abs(H(k, k - 1)) <= ULP * tst) {
          const ab = Math.max(Math.abs(H(k, k - 1)), Math.abs(H(k - 1, k)));
          const ba = Math.min(Math.abs(H(k, k - 1)), Math.abs(H(k - 1, k)));
          const aa = Math.max(Math.abs(H(k, k)), Math.abs(H(k - 1, k - 1) - H(k, k)));
          const bb = Math.min(Math.abs(H(k, k)), Math.abs(H(k - 1, k - 1) - H(k, k)));
          const s = aa + ab;
          if (ba * (ab / s) <= Math.max(smlnum, ULP * (bb * (aa / s)))) break;
        }
      }
      l = k;
      if (l > ilo) set(l, l - 1, 0);
      if (l >= i - 1) {
        converged = true;
        break;
      }
      kdefl++;
      let h11: number, h12: number, h21: number, h22: number;
      if (kdefl % 20 === 0) {
        const s = Math.abs(H(i, i - 1)) + Math.abs(H(i - 1, i - 2));
        h11 = 0.75 * s + H(i, i);
        h12 = -0.4375 * s;
        h21 = s;
        h22 = h11;
      } else if (kdefl % 10 === 0) {
        const s = Math.abs(H(l + 1, l)) + Math.abs(H(l + 2, l + 1));
        h11 = 0.75 * s + H(l, l);
        h12 = -0.4375 * s;
        h21 = s;
        h22 = h11;
      } else {
        h11 = H(i - 1, i - 1);
        h21 = H(i, i - 1);
        h12 = H(i - 1, i);
        h22 = H(i, i);
      }
      let rt1r = 0, rt1i = 0, rt2r = 0, rt2i = 0;
      const s0 = Math.abs(h11) + Math.abs(h12) + Math.abs(h21) + Math.abs(h22);
      if (s0 !== 0) {
        h11 /= s0;
        h21 /= s0;
        h12 /= s0;
        h22 /= s0;
        const tr = (h11 + h22) / 2;
        const det = (h11 - tr) * (h22 - tr) - h12 * h21;
        const rtdisc = Math.sqrt(Math.abs(det));
        if (det >= 0) {
          rt1r = tr * s0;
          rt2r = rt1r;
          rt1i = rtdisc * s0;
          rt2i = -rt1i;
        } else {
          // two real shifts: the one nearer h22, twice
          rt1r = tr + rtdisc;
          rt2r = tr - rtdisc;
          if (Math.abs(rt1r - h22) <= Math.abs(rt2r - h22)) {
            rt1r *= s0;
            rt2r = rt1r;
          } else {
            rt2r *= s0;
            rt1r = rt2r;
          }
          rt1i = 0;
          rt2i = 0;
        }
      }
      // two consecutive small subdiagonal elements: where the bulge starts
      let m = i - 2;
      for (; m >= l; m--) {
        let h21s = H(m + 1, m);
        let s = Math.abs(H(m, m) - rt2r) + Math.abs(rt2i) + Math.abs(h21s);
        h21s = H(m + 1, m) / s;
        v[0] = h21s * H(m, m + 1) + (H(m, m) - rt1r) * ((H(m, m) - rt2r) / s) - rt1i * (rt2i / s);
        v[1] = h21s * (H(m, m) + H(m + 1, m + 1) - rt1r - rt2r);
        v[2] = h21s * H(m + 2, m + 1);
        s = Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]);
        v[0] /= s;
        v[1] /= s;
        v[2] /= s;
        if (m === l) break;
        const h00 = Math.abs(H(m, m - 1)) * (Math.abs(v[1]) + Math.abs(v[2]));
        const h11b = Math.abs(v[0]) * (Math.abs(H(m - 1, m - 1)) + Math.abs(H(m, m)) + Math.abs(H(m + 1, m + 1)));
        if (h00 <= ULP * h11b) break;
      }
      // the double-shift QR sweep, chasing the bulge down the active block
      for (let kk = m; kk <= i - 1; kk++) {
        const nr = Math.min(3, i - kk + 1);
        if (kk > m) for (let r = 0; r < nr; r++) v[r] = H(kk + r, kk - 1);
        // dlarfg on v[0..nr)
        let xnorm = 0;
        for (let r = 1; r < nr; r++) xnorm = Math.hypot(xnorm, v[r]);
        let t1 = 0;
        if (xnorm !== 0) {
          const beta = -sign(Math.hypot(v[0], xnorm), v[0]);
          t1 = (beta - v[0]) / beta;
          const sc = 1 / (v[0] - beta);
          for (let r = 1; r < nr; r++) v[r] *= sc;
          v[0] = beta;
        }
        if (kk > m) {
          set(kk, kk - 1, v[0]);
          set(kk + 1, kk - 1, 0);
          if (kk < i - 1) set(kk + 2, kk - 1, 0);
        } else if (m > l) {
          set(kk, kk - 1, H(kk, kk - 1) * (1 - t1));
        }
        const v2 = v[1];
        const t2 = t1 * v2;
        if (nr === 3) {
          const v3 = v[2];
          const t3 = t1 * v3;
          for (let j = kk; j <= i; j++) {
            const sum = H(kk, j) + v2 * H(kk + 1, j) + v3 * H(kk + 2, j);
            set(kk, j, H(kk, j) - sum * t1);
            set(kk + 1, j, H(kk + 1, j) - sum * t2);
            set(kk + 2, j, H(kk + 2, j) - sum * t3);
          }
          for (let j = l; j <= Math.min(kk + 3, i); j++) {
            const sum = H(j, kk) + v2 * H(j, kk + 1) + v3 * H(j, kk + 2);
            set(j, kk, H(j, kk) - sum * t1);
            set(j, kk + 1, H(j, kk + 1) - sum * t2);
            set(j, kk + 2, H(j, kk + 2) - sum * t3);
          }
        } else if (nr === 2) {
          for (let j = kk; j <= i; j++) {
            const sum = H(kk, j) + v2 * H(kk + 1, j);
            set(kk, j, H(kk, j) - sum * t1);
            set(kk + 1, j, H(kk + 1, j) - sum * t2);
          }
          for (let j = l; j <= i; j++) {
            const sum = H(j, kk) + v2 * H(j, kk + 1);
            set(j, kk, H(j, kk) - sum * t1);
            set(j, kk + 1, H(j, kk + 1) - sum * t2);
          }
        }
      }
    }
    if (!converged) return false;
    if (l === i) {
      wr[i] = H(i, i);
      wi[i] = 0;
    } else {
      [wr[i - 1], wi[i - 1], wr[i], wi[i]] = standardize2x2(H(i - 1, i - 1), H(i - 1, i), H(i, i - 1), H(i, i));
    }
    kdefl = 0;
    i = l - 1;
  }
  return true;
}
