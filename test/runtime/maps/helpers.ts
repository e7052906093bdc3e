// Small builders shared by the map tests.
import type { MapDef, MapKind } from "../../../runtime/maps/def.js";
import { createMap, type BpfMap } from "../../../runtime/maps/index.js";

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export const bytes = (...b: number[]) => Uint8Array.from(b);

export function def(kind: MapKind, keySize: number, valueSize: number, maxEntries: number, flags = 0, name = "m"): MapDef {
  return { name, kind, keySize, valueSize, maxEntries, flags };
}

export function make(kind: MapKind, keySize: number, valueSize: number, maxEntries: number, flags = kind === "lpm_trie" ? 1 : 0): BpfMap {
  return createMap(def(kind, keySize, valueSize, maxEntries, flags));
}

/** An IPv4 LPM key: u32 prefixlen (little-endian) then the address bytes in network order. */
export function ip4(prefixlen: number, a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.from([...u32(prefixlen), a, b, c, d]);
}

export const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("hex"));

export function keysOf(map: BpfMap): string[] {
  return Array.from(map.entries(), (e) => hex(e.key)!);
}
