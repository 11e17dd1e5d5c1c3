/**
 * City placement, the twin of the PyTorch tutorial in xoolive/optim4ai
 * ("Optimisation for AI", section 3: "Automatic differentiation" and
 * "Optimisers in PyTorch", https://github.com/xoolive/optim4ai, CC BY-SA 4.0),
 * in its setting: the same 36 cities and the same distance matrix (read from
 * examples/data/distances.npy as the tutorial does with np.load), the
 * distances divided by their Frobenius norm, random positions divided by the
 * Frobenius norm of their own distance matrix, and
 *
 *     loss(x) = Σᵢⱼ (cdist(x, x)ᵢⱼ² − Dᵢⱼ²)² / 2
 *
 * minimized by plain gradient descent (`optim.sgd`, lr 0.1) for 4000 jitted
 * steps, in float64 on the CPU. The answer is only defined up to a rotation,
 * a reflection and a translation, so for the map it is aligned to the true
 * positions (an azimuthal equidistant map) by an orthogonal Procrustes fit.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { io, jit, np, optim, random, valueAndGrad, type Value } from "jaxon-ts";
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

/**
 * The tutorial's 36 cities, in its order and spelling (the rows of
 * distances.npy), with a latitude and longitude (degrees) for the map only:
 * the fit sees nothing but the distances. Great-circle (haversine) distances
 * from these coordinates agree with the tutorial's matrix within 27 km.
 */
export const cities: readonly (readonly [string, number, number])[] = [
  ["Amsterdam", 52.3676, 4.9041],
  ["Athens", 37.9838, 23.7275],
  ["Barcelone", 41.3874, 2.1686],
  ["Belgrade", 44.7866, 20.4489],
  ["Berlin", 52.52, 13.405],
  ["Brussels", 50.8503, 4.3517],
  ["Bucarest", 44.4268, 26.1025],
  ["Budapest", 47.4979, 19.0402],
  ["Copenhagen", 55.6761, 12.5683],
  ["Dublin", 53.3498, -6.2603],
  ["Gibraltar", 36.1408, -5.3536],
  ["Helsinki", 60.1699, 24.9384],
  ["Istanbul", 41.0082, 28.9784],
  ["Kiev", 50.4501, 30.5234],
  ["Kiruna", 67.8558, 20.2253],
  ["Lisbon", 38.7223, -9.1393],
  ["London", 51.5074, -0.1278],
  ["Madrid", 40.4168, -3.7038],
  ["Milan", 45.4642, 9.19],
  ["Moscow", 55.7558, 37.6173],
  ["Munich", 48.1351, 11.582],
  ["Oslo", 59.9139, 10.7522],
  ["Paris", 48.8566, 2.3522],
  ["Prague", 50.0755, 14.4378],
  ["Reykjavik", 64.1466, -21.9426],
  ["Riga", 56.9496, 24.1052],
  ["Rome", 41.9028, 12.4964],
  ["Sofia", 42.6977, 23.3219],
  ["Stockholm", 59.3293, 18.0686],
  ["Tallinn", 59.437, 24.7536],
  ["Toulouse", 43.6047, 1.4442],
  ["Trondheim", 63.4305, 10.3951],
  ["Varsovie", 52.2297, 21.0122],
  ["Vienne", 48.2082, 16.3738],
  ["Vilnius", 54.6872, 25.2797],
  ["Zurich", 47.3769, 8.5417],
];

/** The tutorial's distance matrix (km), as its distances.npy holds it (written by examples/data/distances.py). */
export const distancesPath = fileURLToPath(new URL("./data/distances.npy", import.meta.url));

const earthRadiusKm = 6371;
const lr = 0.1;

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
  /** The Frobenius norm of the distance matrix, in km (the unit of the normalized distances). */
  scaleKm: number;
  /** Root-mean-square error of the fitted pairwise distances, in km. */
  rmsErrorKm: number;
}

/** The tutorial's criterion: half the sum of squared differences of squared distances. */
const criterion = (x: Value, distances: Value) => {
  const delta = np.cdist(x, x).square().sub(distances.square());
  return delta.square().sum().div(2);
};
const opt = optim.sgd(lr);
type State = ReturnType<typeof opt.init>;
const step = jit((x: Value, state: State, distances: Value) => {
  const [loss, g] = valueAndGrad(criterion)(x, distances);
  const [updates, next] = opt.update(g, state, x);
  return { x: optim.applyUpdates(x, updates), state: next, loss };
});

/** Random positions (float64), divided by the Frobenius norm of their distance matrix, as the tutorial's init_t0. */
export function initPositions(key: ReturnType<typeof random.key>, n: number): Value {
  const t0 = random.normal(key, [n, 2], "float64");
  return t0.div(np.linalg.norm(np.cdist(t0, t0)));
}

/** Places the cities with `steps` (default 4000) gradient-descent steps. */
export async function run(options: ExampleOptions = {}): Promise<CityPlacementResult> {
  const log = logger(options.quiet);
  const steps = options.steps ?? 4000;
  const n = cities.length;
  const km = io.loadNpy(readFileSync(distancesPath));
  const scaleKm = np.linalg.norm(km).itemSync();
  const distances = km.div(scaleKm);
  log(`city placement: ${n} cities, ${km.dtype} distances from distances.npy divided by their Frobenius norm (${scaleKm.toFixed(0)} km); gradient descent, lr ${lr}, ${steps} steps`);

  let x = initPositions(random.key(0), n);
  let state = opt.init(x);
  const losses: number[] = [];
  const bar = progress("placing", steps, options.quiet);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const out = step(x, state, distances);
    x = out.x;
    state = out.state;
    losses.push(out.loss.itemSync());
    if (i % 500 === 0 || i === steps - 1) bar.log(`  step ${String(i).padStart(4)}  loss ${formatNumber(losses[i])}`);
    if (i % 20 === 0) bar.update(i + 1, losses[i]);
  }
  bar.stop();
  const ms = since(t0);
  const rmsErrorKm = Math.sqrt(np.cdist(x, x).sub(distances).square().mean().itemSync()) * scaleKm;
  log(`loss ${formatNumber(losses[0])} → ${formatNumber(losses[steps - 1])}; rms error of the distances ${rmsErrorKm.toFixed(1)} km`);
  log(`${steps} steps in ${formatMs(ms)} (${Math.round((steps / ms) * 1000)} steps/s)`);

  // Align to a map of the true positions, in km, for the plot.
  const truth = trueMapKm();
  const placed = procrustes(toPairs(x.dataSync()).map(([a, b]) => [a * scaleKm, b * scaleKm] as Point), truth);

  const dir = outputDir("city-placement", options);
  const files = [
    ...(await savePlot(
      {
        title: { text: "City placement: loss", subtitle: `gradient descent (optim.sgd), lr ${lr}, float64; distances divided by their Frobenius norm` },
        width: 480,
        height: 260,
        data: { values: thin(losses.map((l, i) => ({ step: i, loss: l }))) },
        mark: { type: "line", color: "#4c78a8" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "loss (log scale)", scale: { type: "log" }, axis: { format: ".0e", values: decades(losses), grid: true } },
        },
      },
      dir,
      "loss",
      options,
    )),
    ...(await savePlot(mapSpec(placed, truth, rmsErrorKm), dir, "map", options)),
  ];
  reportFiles(log, files);
  return { files, losses, scaleKm, rmsErrorKm };
}

type Point = [number, number];

/** The powers of ten spanned by the positive finite values (the ticks of a log axis). */
function decades(values: number[]): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(Math.max(...positive)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

function toPairs(flat: ArrayLike<number>): Point[] {
  return Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]] as Point);
}

/**
 * The cities on an azimuthal equidistant map centred on their mean latitude
 * and longitude, in km: distances from the centre are true, and the others
 * are distorted much less than on a latitude/longitude grid over 32° of
 * latitude (Reykjavik to Gibraltar).
 */
function trueMapKm(): Point[] {
  const rad = Math.PI / 180;
  const lat0 = (cities.reduce((s, c) => s + c[1], 0) / cities.length) * rad;
  const lon0 = (cities.reduce((s, c) => s + c[2], 0) / cities.length) * rad;
  return cities.map(([, latDeg, lonDeg]) => {
    const [lat, dLon] = [latDeg * rad, lonDeg * rad - lon0];
    const cosC = Math.sin(lat0) * Math.sin(lat) + Math.cos(lat0) * Math.cos(lat) * Math.cos(dLon);
    const c = Math.acos(Math.min(1, cosC));
    const k = c === 0 ? 1 : c / Math.sin(c);
    return [
      earthRadiusKm * k * Math.cos(lat) * Math.sin(dLon),
      earthRadiusKm * k * (Math.cos(lat0) * Math.sin(lat) - Math.sin(lat0) * Math.cos(lat) * Math.cos(dLon)),
    ];
  });
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

/**
 * Where each label goes beside its city, chosen by hand as the tutorial does
 * ("label placement: subject to automatic optimization!"): right and above
 * unless listed here.
 */
const labelPlacement: Record<string, { align: "left" | "right"; baseline: "bottom" | "top" }> = {
  Brussels: { align: "right", baseline: "top" },
  Paris: { align: "right", baseline: "top" },
  Amsterdam: { align: "left", baseline: "bottom" },
  Berlin: { align: "left", baseline: "top" },
  Prague: { align: "left", baseline: "top" },
  Vienne: { align: "left", baseline: "bottom" },
  Budapest: { align: "left", baseline: "top" },
  Zurich: { align: "right", baseline: "top" },
  Munich: { align: "left", baseline: "top" },
  Milan: { align: "left", baseline: "top" },
  Riga: { align: "right", baseline: "top" },
  Tallinn: { align: "left", baseline: "top" },
  Helsinki: { align: "left", baseline: "bottom" },
  Vilnius: { align: "left", baseline: "top" },
  Bucarest: { align: "left", baseline: "top" },
  Sofia: { align: "right", baseline: "top" },
  Belgrade: { align: "right", baseline: "bottom" },
  London: { align: "right", baseline: "top" },
  Moscow: { align: "right", baseline: "top" },
  Istanbul: { align: "right", baseline: "top" },
};

function mapSpec(placed: Point[], truth: Point[], rmsErrorKm: number): TopLevelSpec {
  const rows = cities.flatMap(([name], i) => [
    { name, kind: "true position", x: truth[i][0], y: truth[i][1], pair: i },
    { name, kind: "placed from distances", x: placed[i][0], y: placed[i][1], pair: i, ...(labelPlacement[name] ?? { align: "left", baseline: "bottom" }) },
  ]);
  const x = { field: "x", type: "quantitative" as const, title: "east (km)", scale: { zero: false, nice: false } };
  const y = { field: "y", type: "quantitative" as const, title: "north (km)", scale: { zero: false, nice: false } };
  const pad = (v: number[]) => {
    const [lo, hi] = [Math.min(...v), Math.max(...v)];
    return [lo - 0.06 * (hi - lo), hi + 0.06 * (hi - lo)];
  };
  const domainX = pad(rows.map((r) => r.x));
  const domainY = pad(rows.map((r) => r.y));
  x.scale = { ...x.scale, domain: domainX } as typeof x.scale;
  y.scale = { ...y.scale, domain: domainY } as typeof y.scale;
  const width = 680;
  const color = {
    field: "kind",
    type: "nominal" as const,
    title: null,
    scale: { domain: ["placed from distances", "true position"], range: ["#e45756", "#999999"] },
    legend: { orient: "bottom" as const, direction: "horizontal" as const, labelLimit: 300 },
  };
  const text = (align: "left" | "right", baseline: "top" | "bottom") => ({
    transform: [{ filter: `datum.kind === 'placed from distances' && datum.align === '${align}' && datum.baseline === '${baseline}'` }],
    mark: { type: "text" as const, align, baseline, dx: align === "left" ? 4 : -4, dy: baseline === "top" ? 3 : -3, fontSize: 10 },
    encoding: { x, y, text: { field: "name", type: "nominal" as const } },
  });
  return {
    title: {
      text: "The tutorial's 36 cities placed from their pairwise distances",
      subtitle: [
        "red: placed from the distances alone, aligned to the map by a rotation/reflection and a shift (Procrustes);",
        `grey: the true positions (azimuthal equidistant map); rms error of the fitted distances ${rmsErrorKm.toFixed(1)} km`,
      ],
    },
    width,
    height: Math.round((width * (domainY[1] - domainY[0])) / (domainX[1] - domainX[0])),
    data: { values: rows },
    layer: [
      {
        mark: { type: "line", color: "#bbbbbb", strokeWidth: 1 },
        encoding: { x, y, detail: { field: "pair", type: "nominal" } },
      },
      // the true positions as grey rings, the placed ones as red dots inside them
      {
        transform: [{ filter: "datum.kind === 'true position'" }],
        mark: { type: "point", filled: false, size: 110, strokeWidth: 1.5 },
        encoding: { x, y, color },
      },
      {
        transform: [{ filter: "datum.kind === 'placed from distances'" }],
        mark: { type: "point", filled: true, size: 30, opacity: 1 },
        encoding: { x, y, color },
      },
      text("left", "bottom"),
      text("left", "top"),
      text("right", "bottom"),
      text("right", "top"),
    ],
  };
}
