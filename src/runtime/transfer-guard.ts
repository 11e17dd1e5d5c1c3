/**
 * JAX's transfer guard: what happens on an implicit transfer between the host
 * and a device (`"allow"`, the default; `"log"`, a console.warn; `"disallow"`,
 * a TransferGuardError). Explicit transfers (`devicePut`, `devicePutAsync`,
 * `deviceGet`, `deviceGetAsync`, `makeArrayFromCallback`) are always allowed.
 * In jaxon's terms:
 * - host to device: host data (JS arrays, TypedArrays; not a single number,
 *   which JAX also embeds freely) becoming an array on a device that is not
 *   the host's (WebGPU), e.g. `np.array([1, 2])` with WebGPU the default device;
 * - device to host: reading a WebGPU array's values (`data()`, `array()`,
 *   `item()`), as JAX counts `np.asarray(x)` and `x.item()`; the CPU
 *   backend's arrays are in host memory, so reading them is no transfer;
 * - device to device: an uncommitted array copied to another device because
 *   an operation mixes devices.
 */
import { TransferGuardError } from "../errors.js";

export type TransferGuardLevel = "allow" | "log" | "disallow";
export type TransferKind = "hostToDevice" | "deviceToHost" | "deviceToDevice";

/** The level of each kind; the transferGuard* scopes set them. */
export const transferGuards: Record<TransferKind, TransferGuardLevel> = { hostToDevice: "allow", deviceToHost: "allow", deviceToDevice: "allow" };
/** How many explicit transfers are in progress (their own reads and uploads pass). */
const explicitDepth = { n: 0 };

const SCOPE: Record<TransferKind, string> = { hostToDevice: "transferGuardHostToDevice", deviceToHost: "transferGuardDeviceToHost", deviceToDevice: "transferGuardDeviceToDevice" };
const FIX: Record<TransferKind, string> = {
  hostToDevice: 'put it there explicitly with devicePut(x, "webgpu") (or make it with makeArrayFromCallback)',
  deviceToHost: "read it explicitly with deviceGet(x) or await deviceGetAsync(x)",
  deviceToDevice: 'move it explicitly with devicePut(x, device) (or await devicePutAsync)',
};

/** Checks an implicit transfer of kind `kind`; `what` says what moved, for the message. */
export function guardTransfer(kind: TransferKind, what: string): void {
  const level = transferGuards[kind];
  if (level === "allow" || explicitDepth.n > 0) return;
  const text = `${SCOPE[kind]}: an implicit ${kind === "hostToDevice" ? "host-to-device" : kind === "deviceToHost" ? "device-to-host" : "device-to-device"} transfer: ${what}; ${FIX[kind]}`;
  if (level === "log") console.warn(`jaxon: ${text}`);
  else throw new TransferGuardError(`${text} (or allow it: ${SCOPE[kind]}("allow", fn))`);
}

/** Runs the synchronous part of an explicit transfer (devicePut, deviceGet, ...): its own reads and uploads pass the guards. */
export function explicitly<T>(fn: () => T): T {
  explicitDepth.n++;
  try {
    return fn();
  } finally {
    explicitDepth.n--;
  }
}
