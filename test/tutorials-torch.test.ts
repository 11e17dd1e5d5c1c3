/**
 * The tutorials' PyTorch columns, checked against jaxon on PyTorch's own
 * numbers: test/fixtures/examples/linear_regression_torch.py runs the
 * original's code (torch, seeded) and writes its data, its starting
 * parameters and what each run ends on. Given the same data and start,
 * the example's jitted Adam loop must land where torch.optim.Adam did.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { np } from "jaxon-ts";
import { fit, learningRates } from "../examples/linear-regression.js";

interface TorchRun {
  lr: number;
  a: number;
  b: number;
  losses: number[];
}
interface TorchFixture {
  torch: string;
  x: number[];
  y: number[];
  a0: number;
  b0: number;
  runs: TorchRun[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/examples/linear_regression_torch.json"), "utf8")) as TorchFixture;

describe("linear-regression beside PyTorch (optim4ai section 3 exercise)", () => {
  it("the fixture has the example's learning rates and 200 steps each", () => {
    expect(fixture.runs.map((r) => r.lr)).toEqual(learningRates);
    for (const r of fixture.runs) expect(r.losses).toHaveLength(200);
    expect(fixture.x).toHaveLength(100);
  });

  it.each(fixture.runs.map((r) => [r.lr, r] as const))("lr %s: jaxon's Adam on torch's data ends where torch.optim.Adam does", (_lr, r) => {
    const x = np.array(fixture.x).reshape([100, 1]);
    const y = np.array(fixture.y).reshape([100, 1]);
    const start = { a: np.array([fixture.a0]), b: np.array([fixture.b0]) };
    const { params, losses } = fit(x, y, start, r.lr, r.losses.length);
    // float32 in both, summed in different orders: the first loss agrees to rounding, the rest to a
    // few ulps of growth over 200 steps
    expect(losses[0]).toBeCloseTo(r.losses[0], 4);
    for (const i of [1, 10, 50, 100, 199]) expect(Math.abs(losses[i] - r.losses[i])).toBeLessThan(1e-4 * Math.max(1, r.losses[i]));
    expect(Math.abs(params.a.reshape([]).itemSync() - r.a)).toBeLessThan(1e-4);
    expect(Math.abs(params.b.reshape([]).itemSync() - r.b)).toBeLessThan(1e-4);
  });
});
