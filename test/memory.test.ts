/**
 * No reference counting for users: a training loop written naively (no
 * dispose, no scopes, no await) runs in bounded memory.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, memoryStats, np, type Value } from "../src/index.js";
import { getPoolLimit, setPoolLimit } from "../src/backend/cpu/memory.js";

describe("bounded memory without dispose", () => {
  it("2,000 synchronous jitted SGD steps on 16 KiB parameters stay under the pool bound and converge", () => {
    const saved = getPoolLimit();
    const limit = 1 << 20;
    setPoolLimit(limit);
    try {
      const target = np.linspace(-1, 1, 4096);
      const loss = (w: Value) => w.sub(target).square().mean();
      const step = jit((w: Value) => w.sub((grad(loss)(w) as Value).mul(100)));
      let w: Value = np.zeros([4096]);
      const peakOver = (steps: number) => {
        let peak = 0;
        for (let i = 0; i < steps; i++) {
          w = step(w) as Value;
          peak = Math.max(peak, memoryStats().liveBytes);
        }
        return peak;
      };
      // in a loop that never yields, finalizers cannot run: the pool stops at its bound and
      // new arrays become ordinary TypedArrays that V8 frees itself, so the pool stays flat
      const first = peakOver(1000);
      const second = peakOver(1000);
      expect(second).toBeLessThanOrEqual(first + limit);
      // w converges to the target: w_k = target (1 - (1 - 200/4096)^k)
      expect(Math.abs(w.dataSync()[0] + 1)).toBeLessThan(1e-3);
    } finally {
      setPoolLimit(saved);
    }
  });
});
