/**
 * The tutorials' first example: gradient descent on y = x² from x = -4,
 * with learning rates 0.1 (converges), 0.6 (oscillates in) and 1.5
 * (diverges), stopping when |dy/dx| < 0.1.
 */
import { grad, np } from "../src/index.js";
import type { Value } from "../src/index.js";

export function run(): void {
  const f = (x: Value) => x.mul(x);
  const df = grad(f);
  for (const lr of [0.1, 0.6, 1.5]) {
    let x: Value = np.array(-4);
    console.log(`\nlearning rate ${lr}:`);
    let step = 0;
    for (; step < 100; step++) {
      const g = df(x) as Value;
      const gv = g.itemSync();
      if (step < 5 || step % 10 === 0) console.log(`  step ${String(step).padStart(3)}  x = ${x.itemSync().toFixed(5).padStart(12)}  dy/dx = ${gv.toFixed(5)}`);
      if (Math.abs(gv) < 0.1) break;
      if (!Number.isFinite(gv) || Math.abs(gv) > 1e6) {
        console.log(`  diverged after ${step} steps (|x| = ${Math.abs(x.itemSync()).toExponential(2)})`);
        break;
      }
      x = x.sub(g.mul(lr));
    }
    if (step < 100 && Math.abs((df(x) as Value).itemSync()) < 0.1) console.log(`  converged after ${step} steps: x = ${x.itemSync().toFixed(5)}`);
  }
}
