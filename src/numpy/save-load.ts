/**
 * `np.save`, `np.savez` and `np.load`, as
 * JAX's `jnp.save`/`jnp.load` (which are NumPy's): a file name in Node, the
 * file's bytes anywhere. The formats are the `io` namespace's (`io.saveNpy`,
 * `io.loadNpy`, `io.saveNpz`, `io.loadNpz`); these functions only reach the
 * file system, through the host module (so a browser bundle never sees
 * `node:fs`).
 */
import { nodeBuiltin } from "../host/node.js";
import { ArgumentError, UnsupportedError } from "../errors.js";
import { loadNpy, loadNpz, saveNpy, saveNpz } from "../io/npy.js";
import type { Array } from "../array.js";
import type { Value } from "../trace/core.js";

type Fs = typeof import("node:fs");

function fs(op: string): Fs {
  const mod = nodeBuiltin<Fs>("node:fs");
  if (!mod) {
    throw new UnsupportedError(
      `${op}: a file name needs Node's file system (Node ≥ 20.16); in a browser, pass the bytes instead: io.saveNpy(x) gives them, np.load(new Uint8Array(await blob.arrayBuffer())) reads them`,
    );
  }
  return mod;
}

/** Runs a file-system call, turning its error (no such file, no permission, ...) into a typed one naming the file. */
function onFile<T>(op: string, name: string, what: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    const raw = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    const code = typeof raw === "string" ? raw : "an error";
    throw new ArgumentError(`${op}: cannot ${what} ${JSON.stringify(name.slice(0, 200))} (${code}); check the path and its permissions`);
  }
}

function fileName(op: string, file: unknown): string {
  if (typeof file !== "string" || file === "") throw new ArgumentError(`${op}: file must be a non-empty path (a string), got ${typeof file === "string" ? "an empty string" : typeof file}`);
  return file;
}

/**
 * Saves an array to a `.npy` file, as `np.save` does (`.npy` is appended to
 * a name without it). Node only: in a browser, `io.saveNpy(x)` gives the
 * bytes. Asynchronous, because an array on a GPU is read first.
 * @example
 * const path = `${process.env.TMPDIR ?? "/tmp"}/jaxon-np-save-example.npy`;
 * await np.save(path, np.arange(6).reshape([2, 3]));
 * (await np.load(path)).shape; // [2, 3]
 */
export async function save(file: string, arr: Value | number): Promise<void> {
  const name = fileName("np.save", file);
  const bytes = await saveNpy(arr);
  const path = name.endsWith(".npy") ? name : `${name}.npy`;
  const mod = fs("np.save");
  onFile("np.save", path, "write", () => mod.writeFileSync(path, bytes));
}

/**
 * Saves named arrays to an uncompressed `.npz` file, as `np.savez(file,
 * **arrays)` does (`.npz` is appended to a name without it). Node only; in a
 * browser, `io.saveNpz(arrays)` gives the bytes.
 * @example
 * const path = `${process.env.TMPDIR ?? "/tmp"}/jaxon-np-savez-example.npz`;
 * await np.savez(path, { w: np.eye(2), b: np.zeros([2]) });
 * Object.keys(await np.load(path)); // ["w", "b"]
 */
export async function savez(file: string, arrays: Record<string, Value | number>): Promise<void> {
  const name = fileName("np.savez", file);
  const bytes = await saveNpz(arrays);
  const path = name.endsWith(".npz") ? name : `${name}.npz`;
  const mod = fs("np.savez");
  onFile("np.savez", path, "write", () => mod.writeFileSync(path, bytes));
}

/**
 * Loads a `.npy` file (one array) or a `.npz` file (an object of arrays by
 * name), as `np.load` does. `file` is a path (Node) or the file's bytes (an
 * ArrayBuffer or a typed array: anywhere, a browser's fetched file or Blob
 * included). Which format it is comes from the bytes, not the name.
 * @example
 * const path = `${process.env.TMPDIR ?? "/tmp"}/jaxon-np-load-example.npy`;
 * await np.save(path, np.array([1, 2, 3]));
 * (await np.load(path)).shape; // [3]
 */
export async function load(file: string | ArrayBuffer | ArrayBufferView): Promise<Array | Record<string, Array>> {
  let bytes: ArrayBuffer | ArrayBufferView;
  if (typeof file === "string") {
    const name = fileName("np.load", file);
    const mod = fs("np.load");
    bytes = onFile("np.load", name, "read", () => mod.readFileSync(name));
  }
  else if (file instanceof ArrayBuffer || ArrayBuffer.isView(file)) bytes = file;
  else throw new ArgumentError(`np.load: file must be a path (a string) or the file's bytes (an ArrayBuffer or Uint8Array), got ${file === null ? "null" : typeof file}`);
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // a zip archive starts with "PK"
  return b.length >= 2 && b[0] === 0x50 && b[1] === 0x4b ? loadNpz(b) : loadNpy(b);
}
