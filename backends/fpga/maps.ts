// Array and hash maps on the Verilog engine (docs/fpga-engine.md, "Array maps", "Hash
// maps"): where each map's values sit in the engine's map value memory, the map table
// words the host writes before start, and the memory image to and from live maps (the
// interpreter's BpfMap). Hash maps: slot placement with the engine's hash and linear
// probing, computed here for the initial contents; read back in insertion order.
import type { MapDef } from "../../runtime/maps/def.js";
import { encodeMapImage, IMAGE_HEADER_SIZE, recordLayout } from "../../runtime/maps/image.js";
import { u32leBytes, type BpfMap } from "../../runtime/maps/map.js";

/** bpf_engine MAP_AW: the map value memory holds 2**MAP_AW bytes. */
export const MAP_AW = 16;
export const MAP_MEMORY_BYTES = 2 ** MAP_AW;
/** The map table has eight entries (map index 0..7 in the handle and value addresses). */
export const MAX_MAPS = 8;
/** BPF_F_RDONLY_PROG: read-only for programs; the engine has no read-only map values yet. */
const BPF_F_RDONLY_PROG = 0x80;

/** Map kinds the engine holds; prog_array and devmap are array-shaped (programs.ts MAP_KIND_CODES). */
const ENGINE_KINDS: readonly string[] = ["array", "hash", "prog_array", "devmap"];

/** Hash maps: the longest key the engine compares (two 8-byte words). */
export const MAX_HASH_KEY = 16;

/** One map's place in the map memory: element (slot) i at base + (i << shift). */
export interface MapPlacement {
  readonly def: MapDef;
  /** Byte of element 0 (the table's base). */
  readonly base: number;
  /** log2 of the slot: array: the value size rounded up to a power of two, at least 8;
   * hash: value, key and meta word (each rounded up to 8) rounded up to a power of two. */
  readonly shift: number;
  /** First byte of the map's region: base, or base - 8 for a hash map (its header word). */
  readonly start: number;
  /** Bytes of the map's region. */
  readonly bytes: number;
}

const round8 = (n: number): number => (n + 7) & ~7;

/** Hash slot: the key's offset (after the value), the meta word's offset, the slot's bytes before rounding. */
export function hashSlot(def: Pick<MapDef, "keySize" | "valueSize">): { keyOffset: number; metaOffset: number; bytes: number } {
  const keyOffset = round8(def.valueSize);
  const metaOffset = keyOffset + (def.keySize > 8 ? 16 : 8);
  return { keyOffset, metaOffset, bytes: metaOffset + 8 };
}

/**
 * The engine's hash of a key (bpf_core h_mix / h_range): the key zero-padded to 16 bytes,
 * its two little-endian 8-byte words XORed, the halves of that XORed, multiplied by
 * 0x9e3779b1 (mod 2**32); the home slot is (mix * max_entries) >> 32.
 */
export function hashHome(key: Uint8Array, maxEntries: number): number {
  const b = new Uint8Array(16);
  b.set(key.subarray(0, 16));
  const v = new DataView(b.buffer);
  const f32 = (v.getUint32(0, true) ^ v.getUint32(4, true) ^ v.getUint32(8, true) ^ v.getUint32(12, true)) >>> 0;
  const mix = Math.imul(f32, 0x9e3779b1) >>> 0;
  return Math.floor((mix * maxEntries) / 2 ** 32);
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
    if (!ENGINE_KINDS.includes(d.kind)) out.push(`map '${d.name}' of kind ${d.kind} (the engine has array, hash, prog_array and devmap maps only)`);
    if (d.kind === "hash" && (d.keySize < 1 || d.keySize > MAX_HASH_KEY)) out.push(`map '${d.name}' has ${d.keySize}-byte keys (the engine's hash maps take 1 to ${MAX_HASH_KEY})`);
    if (d.valueSize > 0x4000) out.push(`map '${d.name}' has ${d.valueSize}-byte values (the map table holds at most 16384)`);
    if (d.maxEntries > 0xffff) out.push(`map '${d.name}' has ${d.maxEntries} entries (the map table holds at most 65535)`);
    if (d.flags & BPF_F_RDONLY_PROG) out.push(`map '${d.name}' is read-only for programs (BPF_F_RDONLY_PROG), which the engine does not enforce yet`);
    bytes += regionBytes(d);
  }
  if (bytes > MAP_MEMORY_BYTES) out.push(`${bytes} bytes of map memory with values in power-of-two slots (the engine has ${MAP_MEMORY_BYTES})`);
  return out;
}

function shiftOf(def: MapDef): number {
  return slotShift(def.kind === "hash" ? hashSlot(def).bytes : def.valueSize);
}

function regionBytes(def: MapDef): number {
  return (def.kind === "hash" ? 8 : 0) + def.maxEntries * 2 ** shiftOf(def);
}

/** The maps one after another, in object order; call mapProblems first. */
export function mapLayout(defs: readonly MapDef[]): MapLayout {
  let start = 0;
  const maps = defs.map((def) => {
    const p = { def, start, base: start + (def.kind === "hash" ? 8 : 0), shift: shiftOf(def), bytes: regionBytes(def) };
    start += p.bytes;
    return p;
  });
  return { maps, bytes: start };
}

/**
 * The map table word of bpf_core: [14:0] value_size, [15] hash, [19:16] shift,
 * [35:20] max_entries, [39:36] key_size - 1 (hash), [63:40] base.
 */
export function tableWord(p: MapPlacement): bigint {
  const hash = p.def.kind === "hash";
  return BigInt(p.def.valueSize) | (hash ? 1n << 15n : 0n) | (BigInt(p.shift) << 16n) | (BigInt(p.def.maxEntries) << 20n) |
    (hash ? BigInt(p.def.keySize - 1) << 36n : 0n) | (BigInt(p.base) << 40n);
}

/** The hash slot a new key goes to: linear probing from its home slot to the first empty one. */
function placeHash(p: MapPlacement, used: boolean[], key: Uint8Array): number {
  const n = p.def.maxEntries;
  let i = hashHome(key, n);
  for (let probe = 0; probe < n; probe++, i = i + 1 === n ? 0 : i + 1) if (!used[i]) return i;
  throw new Error(`map '${p.def.name}': no free slot`);
}

/** A hash map's region: header (the next sequence number), then the slots, entries in insertion order. */
function hashRegion(p: MapPlacement, map: BpfMap): Uint8Array {
  const out = new Uint8Array(p.bytes);
  const view = new DataView(out.buffer);
  const { keyOffset, metaOffset } = hashSlot(p.def);
  const used: boolean[] = [];
  let seq = 0;
  for (const e of map.entries()) {
    const i = placeHash(p, used, e.key);
    used[i] = true;
    const at = 8 + (i << p.shift);
    out.set(e.value.subarray(0, p.def.valueSize), at);
    out.set(e.key.subarray(0, p.def.keySize), at + keyOffset);
    view.setUint32(at + metaOffset, 1, true);
    view.setUint32(at + metaOffset + 4, seq++, true);
  }
  view.setUint32(0, seq, true);
  return out;
}

/** A map's region (values in their slots), from its map image (runtime/maps/image.ts) or, for a hash map, its entries: the bytes of maps/<name>.hex. */
export function mapSlots(p: MapPlacement, map: BpfMap): Uint8Array {
  if (p.def.kind === "hash") return hashRegion(p, map);
  const out = new Uint8Array(p.def.maxEntries * 2 ** p.shift);
  const image = encodeMapImage(map);
  const rec = recordLayout(p.def);
  const count = (image.length - IMAGE_HEADER_SIZE) / rec.recordSize;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let r = 0; r < count; r++) {
    const at = IMAGE_HEADER_SIZE + r * rec.recordSize;
    const index = view.getUint32(at + rec.keyOffset, true);
    out.set(image.subarray(at + rec.valueOffset, at + rec.valueOffset + p.def.valueSize), index << p.shift);
    // A set prog_array slot is marked in bytes 4-7: program 0 is a value too.
    if (p.def.kind === "prog_array") out[(index << p.shift) + 4] = 1;
  }
  return out;
}

/** The whole map memory image [0, layout.bytes) from live maps. */
export function mapMemory(layout: MapLayout, maps: readonly BpfMap[]): Uint8Array {
  const out = new Uint8Array(layout.bytes);
  layout.maps.forEach((p, i) => out.set(mapSlots(p, maps[i]!), p.start));
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

/**
 * Writes the map memory after a run back into the live maps: arrays every element with
 * BPF_ANY; hash maps emptied, then the live slots inserted by sequence number, so that
 * the entry order (insertion order) is the engine's.
 */
export function storeMapMemory(layout: MapLayout, memory: Uint8Array, maps: readonly BpfMap[]): void {
  layout.maps.forEach((p, m) => {
    const map = maps[m]!;
    // Programs cannot change a prog_array or devmap on the engine (only tail calls and
    // redirect_map read them): the live map is already what the memory holds.
    if (p.def.kind === "prog_array" || p.def.kind === "devmap") return;
    if (p.def.kind === "hash") {
      const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
      const { keyOffset, metaOffset } = hashSlot(p.def);
      const live: { seq: number; at: number }[] = [];
      for (let i = 0; i < p.def.maxEntries; i++) {
        const at = p.base + (i << p.shift);
        if ((view.getUint32(at + metaOffset, true) & 3) === 1) live.push({ seq: view.getUint32(at + metaOffset + 4, true), at });
      }
      live.sort((a, b) => a.seq - b.seq);
      for (const e of [...map.entries()]) map.delete(e.key);
      for (const { at } of live) {
        const rc = map.update(memory.slice(at + keyOffset, at + keyOffset + p.def.keySize), memory.subarray(at, at + p.def.valueSize), 0);
        if (rc !== 0) throw new Error(`map '${p.def.name}': writing an entry back failed (${rc})`);
      }
      return;
    }
    for (let i = 0; i < p.def.maxEntries; i++) {
      const at = p.base + (i << p.shift);
      const rc = map.update(u32leBytes(i), memory.subarray(at, at + p.def.valueSize), 0);
      if (rc !== 0) throw new Error(`map '${p.def.name}': writing element ${i} back failed (${rc})`);
    }
  });
}
