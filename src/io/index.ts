/**
 * Saving and loading arrays as bytes: NumPy's `.npy`/`.npz` and
 * safetensors. In Node, write and read the bytes with `node:fs`; in a
 * browser, wrap them in a Blob or read one with `await blob.arrayBuffer()`.
 */
export { saveNpy, loadNpy, saveNpz, loadNpz } from "./npy.js";
export { saveSafetensors, loadSafetensors } from "./safetensors.js";
