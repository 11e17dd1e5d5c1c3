/**
 * List helpers for the flat argument lists of call-like primitives, as JAX's
 * `split_list`, `partition_list` and `merge_lists`: a scan's inputs are
 * consts, carry and xs one after another; a rule that treats some inputs
 * differently (known or unknown, zero or not) partitions them by a mask and
 * merges the results back. Written once here instead of index counters in
 * every rule.
 */

/**
 * Cuts `xs` into consecutive pieces of the given sizes, plus the rest as a last piece.
 * @example
 * splitList([1, 2, 3, 4, 5], [1, 2]); // [[1], [2, 3], [4, 5]]
 */
export function splitList<T>(xs: readonly T[], sizes: readonly number[]): T[][] {
  const pieces: T[][] = [];
  let start = 0;
  for (const n of sizes) {
    pieces.push(xs.slice(start, start + n));
    start += n;
  }
  pieces.push(xs.slice(start));
  return pieces;
}

/**
 * Splits `xs` by `mask`: `[entries where the mask is false, entries where it is true]`.
 * @example
 * partitionList([false, true, false], ["a", "b", "c"]); // [["a", "c"], ["b"]]
 */
export function partitionList<T>(mask: readonly boolean[], xs: readonly T[]): [T[], T[]] {
  if (mask.length !== xs.length) throw new Error(`partitionList: a mask of ${mask.length} for ${xs.length} entries`);
  const falses: T[] = [];
  const trues: T[] = [];
  xs.forEach((x, i) => (mask[i] ? trues : falses).push(x));
  return [falses, trues];
}

/**
 * The inverse of `partitionList`: takes from `falses` where the mask is false and from `trues` where it is true.
 * @example
 * mergeLists([false, true, false], ["a", "c"], ["b"]); // ["a", "b", "c"]
 */
export function mergeLists<T, U = T>(mask: readonly boolean[], falses: readonly T[], trues: readonly U[]): (T | U)[] {
  let f = 0;
  let t = 0;
  const out = mask.map((m) => (m ? trues[t++] : falses[f++]));
  if (f !== falses.length || t !== trues.length) {
    throw new Error(`mergeLists: a mask with ${t} true and ${f} false entries for lists of ${trues.length} and ${falses.length}`);
  }
  return out;
}

/** Entries of `xs` where `mask` is true. */
export const pick = <T>(xs: readonly T[], mask: readonly boolean[]): T[] => xs.filter((_, i) => mask[i]);

/** Entrywise `a || b`. */
export const orMasks = (a: readonly boolean[], b: readonly boolean[]): boolean[] => a.map((x, i) => x || b[i]);
