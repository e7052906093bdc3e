// Array maps on the Verilog engine (docs/fpga-engine.md, "Array maps"): where each map's
// values sit in the engine's map value memory, the map table words the host writes
// before start, and the memory image to and from live maps (the interpreter's BpfMap).
import type { MapDef } from "../../runtime/maps/def.js";
import { encodeMapImage, IMAGE_HEADER_SIZE, recordLayout } from "../../runtime/maps/image.js";
import { u32leBytes, type BpfMap } from "../../runtime/maps/map.js";

/** bpf_engine MAP_AW: the map value memory holds 2**MAP_AW bytes. */
export const MAP_AW = 14;
export const MAP_MEMORY_BYTES = 2 ** MAP_AW;
/** The map table has eight entries (map index 0..7 in the handle and value addresses). */
export const MAX_MAPS = 8;
/** BPF_F_RDONLY_PROG: read-only for programs; the engine has no read-only map values yet. */
const BPF_F_RDONLY_PROG = 0x80;

/** One map's place in the map memory: element i at base + (i << shift). */
export interface MapPlacement {
  readonly def: MapDef;
  readonly base: number;
  /** log2 of the slot: the value size rounded up to a power of two, at least 8. */
  readonly shift: number;
}

export interface MapLayout {
  readonly maps: readonly MapPlacement[];
  /** Bytes of the map memory in use. */
  readonly bytes: number;
}

/** log2 of the slot a value of `valueSize` bytes takes. */
export function slotShift(valueSize: number): number {
  let shift = 3;
  while (2 ** shift < valueSize) shift++;
  return shift;
}

/** Every reason the engine cannot hold the object's maps (empty when it can). */
export function mapProblems(defs: readonly MapDef[]): string[] {
  const out: string[] = [];
  if (defs.length > MAX_MAPS) out.push(`${defs.length} maps (the engine's map table has ${MAX_MAPS} entries)`);
  let bytes = 0;
  for (const d of defs) {
    if (d.kind !== "array") out.push(`map '${d.name}' of kind ${d.kind} (the engine has array maps only)`);
    if (d.flags & BPF_F_RDONLY_PROG) out.push(`map '${d.name}' is read-only for programs (BPF_F_RDONLY_PROG), which the engine does not enforce yet`);
    bytes += d.maxEntries * 2 ** slotShift(d.valueSize);
  }
  if (bytes > MAP_MEMORY_BYTES) out.push(`${bytes} bytes of map memory with values in power-of-two slots (the engine has ${MAP_MEMORY_BYTES})`);
  return out;
}

/** The maps one after another, in object order; call mapProblems first. */
export function mapLayout(defs: readonly MapDef[]): MapLayout {
  let base = 0;
  const maps = defs.map((def) => {
    const shift = slotShift(def.valueSize);
    const p = { def, base, shift };
    base += def.maxEntries * 2 ** shift;
    return p;
  });
  return { maps, bytes: base };
}

/** The map table word of bpf_core: [15:0] value_size, [19:16] shift, [39:20] max_entries, [63:40] base. */
export function tableWord(p: MapPlacement): bigint {
  return BigInt(p.def.valueSize) | (BigInt(p.shift) << 16n) | (BigInt(p.def.maxEntries) << 20n) | (BigInt(p.base) << 40n);
}

/** A map's values in its slots, from its map image (runtime/maps/image.ts): the bytes of maps/<name>.hex. */
export function mapSlots(p: MapPlacement, map: BpfMap): Uint8Array {
  const out = new Uint8Array(p.def.maxEntries * 2 ** p.shift);
  const image = encodeMapImage(map);
  const rec = recordLayout(p.def);
  const count = (image.length - IMAGE_HEADER_SIZE) / rec.recordSize;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let r = 0; r < count; r++) {
    const at = IMAGE_HEADER_SIZE + r * rec.recordSize;
    const index = view.getUint32(at + rec.keyOffset, true);
    out.set(image.subarray(at + rec.valueOffset, at + rec.valueOffset + p.def.valueSize), index << p.shift);
  }
  return out;
}

/** The whole map memory image [0, layout.bytes) from live maps. */
export function mapMemory(layout: MapLayout, maps: readonly BpfMap[]): Uint8Array {
  const out = new Uint8Array(layout.bytes);
  layout.maps.forEach((p, i) => out.set(mapSlots(p, maps[i]!), p.base));
  return out;
}

/** $readmemh rows: one 64-bit little-endian word per line, 16 hex digits. */
export function hexRows(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8) {
    let w = 0n;
    for (let k = 7; k >= 0; k--) w = (w << 8n) | BigInt(bytes[i + k] ?? 0);
    out += w.toString(16).padStart(16, "0") + "\n";
  }
  return out;
}

/** The testbench's MAPS file: the table entries, then every row of the memory image. */
export function mapsFile(layout: MapLayout, maps: readonly BpfMap[]): string {
  const rows = hexRows(mapMemory(layout, maps)).trimEnd().split("\n").filter(Boolean);
  return [
    ...layout.maps.map((p, i) => `t ${i} ${tableWord(p).toString(16)}`),
    ...rows.map((w, r) => `r ${r} ${w}`),
  ].join("\n") + "\n";
}

/** Writes the map memory after a run back into the live maps (every element, BPF_ANY). */
export function storeMapMemory(layout: MapLayout, memory: Uint8Array, maps: readonly BpfMap[]): void {
  layout.maps.forEach((p, m) => {
    for (let i = 0; i < p.def.maxEntries; i++) {
      const at = p.base + (i << p.shift);
      const rc = maps[m]!.update(u32leBytes(i), memory.subarray(at, at + p.def.valueSize), 0);
      if (rc !== 0) throw new Error(`map '${p.def.name}': writing element ${i} back failed (${rc})`);
    }
  });
}
