/**
 * City placement: given only the pairwise distances between 36 European
 * cities, find 2-D positions whose pairwise distances match. The great-circle
 * distances (haversine, on a sphere of radius 6371 km) are divided by the
 * largest one so that they lie in [0, 1]; the positions x [36, 2] start small
 * and random and minimise
 *
 *     loss(x) = Σᵢⱼ (cdist(x, x)ᵢⱼ² − Dᵢⱼ²)² / 2
 *
 * by plain gradient descent (`optim.sgd`, lr 0.002) for 4000 jitted steps.
 * The answer is only defined up to a rotation, a reflection and a
 * translation, so for the map it is aligned to the true (equirectangular)
 * map by an orthogonal Procrustes fit.
 */
import { jit, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
import {
  type ExampleOptions,
  type ExampleResult,
  formatMs,
  formatNumber,
  logger,
  outputDir,
  progress,
  reportFiles,
  savePlot,
  since,
  thin,
  type TopLevelSpec,
} from "./plot.js";

/** Name, latitude and longitude (degrees) of 36 European cities, mostly capitals. */
export const cities: readonly (readonly [string, number, number])[] = [
  ["London", 51.5074, -0.1278],
  ["Paris", 48.8566, 2.3522],
  ["Berlin", 52.52, 13.405],
  ["Madrid", 40.4168, -3.7038],
  ["Rome", 41.9028, 12.4964],
  ["Vienna", 48.2082, 16.3738],
  ["Amsterdam", 52.3676, 4.9041],
  ["Brussels", 50.8503, 4.3517],
  ["Lisbon", 38.7223, -9.1393],
  ["Dublin", 53.3498, -6.2603],
  ["Copenhagen", 55.6761, 12.5683],
  ["Stockholm", 59.3293, 18.0686],
  ["Oslo", 59.9139, 10.7522],
  ["Helsinki", 60.1699, 24.9384],
  ["Warsaw", 52.2297, 21.0122],
  ["Prague", 50.0755, 14.4378],
  ["Budapest", 47.4979, 19.0402],
  ["Bern", 46.948, 7.4474],
  ["Athens", 37.9838, 23.7275],
  ["Bucharest", 44.4268, 26.1025],
  ["Sofia", 42.6977, 23.3219],
  ["Belgrade", 44.7866, 20.4489],
  ["Zagreb", 45.815, 15.9819],
  ["Ljubljana", 46.0569, 14.5058],
  ["Bratislava", 48.1486, 17.1077],
  ["Vilnius", 54.6872, 25.2797],
  ["Riga", 56.9496, 24.1052],
  ["Tallinn", 59.437, 24.7536],
  ["Kyiv", 50.4501, 30.5234],
  ["Minsk", 53.9006, 27.559],
  ["Reykjavik", 64.1466, -21.9426],
  ["Edinburgh", 55.9533, -3.1883],
  ["Barcelona", 41.3874, 2.1686],
  ["Milan", 45.4642, 9.19],
  ["Munich", 48.1351, 11.582],
  ["Istanbul", 41.0082, 28.9784],
];

const earthRadiusKm = 6371;
const lr = 0.002;

/** Great-circle distance in km (haversine). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface CityPlacementResult extends ExampleResult {
  /** The loss before each step. */
  losses: number[];
  /** The largest distance, in km (the unit of the normalized distances). */
  scaleKm: number;
  /** Root-mean-square error of the fitted pairwise distances, in km. */
  rmsErrorKm: number;
}

const loss = (x: Value, d2: Value) => {
  const r = np.cdist(x, x).square().sub(d2);
  return r.square().sum().div(2);
};
const opt = optim.sgd(lr);
type State = ReturnType<typeof opt.init>;
const step = jit((x: Value, state: State, d2: Value) => {
  const [l, g] = valueAndGrad(loss)(x, d2);
  const [updates, next] = opt.update(g, state, x);
  return { x: optim.applyUpdates(x, updates), state: next, loss: l };
});

/** Places the cities with `steps` (default 4000) gradient-descent steps. */
export async function run(options: ExampleOptions = {}): Promise<CityPlacementResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 4000;
  const n = cities.length;
  const km = cities.map(([, la1, lo1]) => cities.map(([, la2, lo2]) => haversineKm(la1, lo1, la2, lo2)));
  const scaleKm = Math.max(...km.flat());
  const d = np.array(km).div(scaleKm);
  const d2 = d.square();
  log(`city placement: ${n} cities, distances divided by the largest (${scaleKm.toFixed(0)} km); gradient descent, lr ${lr}, ${steps} steps`);

  let x = random.normal(random.key(0), [n, 2]).mul(0.1);
  let state = opt.init(x);
  const losses: number[] = [];
  const bar = progress("placing", steps, options.quiet);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const out = step(x, state, d2);
    x = out.x;
    state = out.state;
    losses.push(out.loss.itemSync());
    if (i % 500 === 0 || i === steps - 1) bar.log(`  step ${String(i).padStart(4)}  loss ${formatNumber(losses[i])}`);
    if (i % 20 === 0) bar.update(i + 1, losses[i]);
  }
  bar.stop();
  const ms = since(t0);
  const fitted = np.cdist(x, x);
  const rmsErrorKm = Math.sqrt(fitted.sub(d).square().mean().itemSync()) * scaleKm;
  log(`loss ${formatNumber(losses[0])} → ${formatNumber(losses[steps - 1])}; rms error of the distances ${rmsErrorKm.toFixed(0)} km`);
  log(`${steps} steps in ${formatMs(ms)} (${Math.round((steps / ms) * 1000)} steps/s)`);

  // Align to an equirectangular map of the true positions (in the same unit) for the plot.
  const truth = trueMap(scaleKm);
  const placed = procrustes(toPairs(x.dataSync()), truth);

  const dir = outputDir("city-placement", options);
  const files = [
    ...(await savePlot(
      {
        title: { text: "City placement: loss", subtitle: `gradient descent, lr ${lr} (distances in units of ${scaleKm.toFixed(0)} km)` },
        width: 480,
        height: 260,
        data: { values: thin(losses.map((l, i) => ({ step: i, loss: l }))) },
        mark: { type: "line", color: "#4c78a8" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "loss (log scale)", scale: { type: "log" } },
        },
      },
      dir,
      "loss",
      options,
    )),
    ...(await savePlot(mapSpec(placed, truth, scaleKm, rmsErrorKm), dir, "map", options)),
  ];
  reportFiles(log, files);
  return { files, losses, scaleKm, rmsErrorKm };
}

type Point = [number, number];

function toPairs(flat: ArrayLike<number>): Point[] {
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]] as Point);
}

/** The cities on an equirectangular map centred on their mean latitude, in units of `scaleKm`. */
function trueMap(scaleKm: number): Point[] {
  const rad = Math.PI / 180;
  const lat0 = cities.reduce((s, c) => s + c[1], 0) / cities.length;
  const k = (earthRadiusKm * rad) / scaleKm;
  return cities.map(([, lat, lon]) => [lon * Math.cos(lat0 * rad) * k, lat * k]);
}

/**
 * The rotation or reflection (and translation) of `a` that best matches `b`
 * in least squares: the 2-D orthogonal Procrustes problem, in closed form.
 */
function procrustes(a: Point[], b: Point[]): Point[] {
  const mean = (p: Point[]): Point => [p.reduce((s, q) => s + q[0], 0) / p.length, p.reduce((s, q) => s + q[1], 0) / p.length];
  const [ax, ay] = mean(a);
  const [bx, by] = mean(b);
  const ac = a.map(([x, y]) => [x - ax, y - ay] as Point);
  const bc = b.map(([x, y]) => [x - bx, y - by] as Point);
  let best: Point[] = [];
  let bestErr = Infinity;
  for (const flip of [1, -1]) {
    const src = ac.map(([x, y]) => [x, flip * y] as Point);
    // the angle maximizing Σ b · R(θ) a
    let sxx = 0;
    let sxy = 0;
    src.forEach(([x, y], i) => {
      const [u, v] = bc[i];
      sxx += x * u + y * v;
      sxy += x * v - y * u;
    });
    const t = Math.atan2(sxy, sxx);
    const [c, s] = [Math.cos(t), Math.sin(t)];
    const out = src.map(([x, y]) => [c * x - s * y + bx, s * x + c * y + by] as Point);
    const err = out.reduce((e, [x, y], i) => e + (x - b[i][0]) ** 2 + (y - b[i][1]) ** 2, 0);
    if (err < bestErr) [best, bestErr] = [out, err];
  }
  return best;
}

function mapSpec(placed: Point[], truth: Point[], scaleKm: number, rmsErrorKm: number): TopLevelSpec {
  const rows = cities.flatMap(([name], i) => [
    { name, kind: "true position", x: truth[i][0], y: truth[i][1], pair: i },
    { name, kind: "placed from distances", x: placed[i][0], y: placed[i][1], pair: i },
  ]);
  const x = { field: "x", type: "quantitative" as const, title: `east (× ${scaleKm.toFixed(0)} km)`, scale: { zero: false } };
  const y = { field: "y", type: "quantitative" as const, title: `north (× ${scaleKm.toFixed(0)} km)`, scale: { zero: false } };
  const spanX = Math.max(...rows.map((r) => r.x)) - Math.min(...rows.map((r) => r.x));
  const spanY = Math.max(...rows.map((r) => r.y)) - Math.min(...rows.map((r) => r.y));
  const width = 640;
  return {
    title: {
      text: "36 European cities placed from their pairwise distances",
      subtitle: [
        "red: placed from the distances alone, aligned to the map by a rotation/reflection (Procrustes);",
        `grey: the true positions on an equirectangular map; rms error of the fitted distances ${rmsErrorKm.toFixed(0)} km`,
      ],
    },
    width,
    height: Math.round((width * spanY) / spanX),
    data: { values: rows },
    layer: [
      {
        mark: { type: "line", color: "#bbbbbb", strokeWidth: 1 },
        encoding: { x, y, detail: { field: "pair", type: "nominal" } },
      },
      {
        mark: { type: "point", filled: true, size: 40 },
        encoding: {
          x,
          y,
          color: { field: "kind", type: "nominal", title: null, scale: { domain: ["placed from distances", "true position"], range: ["#e45756", "#aaaaaa"] }, legend: { orient: "top-left", labelLimit: 300 } },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'placed from distances'" }],
        mark: { type: "text", align: "left", dx: 5, dy: -5, fontSize: 10 },
        encoding: { x, y, text: { field: "name" } },
      },
    ],
  };
}
