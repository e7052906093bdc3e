// Array, hash and LPM maps on the Verilog engine (docs/fpga-engine.md, "Array maps",
// "Hash maps", "LPM tries"): where each map's values sit in the engine's map value memory,
// the map table words the host writes before start, and the memory image to and from live
// maps (the interpreter's BpfMap). Hash maps: slot placement with the engine's hash and
// linear probing, computed here for the initial contents; read back in insertion order.
// LPM tries: a hash map of canonical prefixes, with a header of per-length entry counts
// and a bitmap of the lengths in use; read back in the trie's own (sorted) order.
// TCAMs: rows (data, value, mask, priority) in match order, scanned by a lookup.
import type { MapDef } from "../../runtime/maps/def.js";
import { encodeMapImage, IMAGE_HEADER_SIZE, recordLayout } from "../../runtime/maps/image.js";
import { isTcam, u32leBytes, type BpfMap } from "../../runtime/maps/map.js";

/** bpf_engine MAP_AW: the map value memory holds 2**MAP_AW bytes. */
export const MAP_AW = 16;
export const MAP_MEMORY_BYTES = 2 ** MAP_AW;
/** The map table has sixteen entries (map index 0..15: 4 bits in the handle and value addresses). */
export const MAX_MAPS = 16;
/** BPF_F_RDONLY_PROG: read-only for programs (.rodata); the table's bit 61 makes stores and atomics to its values fault. */
const BPF_F_RDONLY_PROG = 0x80;


/** Hash maps: the longest key the engine compares (two 8-byte words). */
export const MAX_HASH_KEY = 16;
/** LPM tries: a u32 prefixlen and 1..16 data bytes (prefixes up to 128 bits: IPv6), three key words. */
export const LPM_KEY_SIZES = { min: 5, max: 20 } as const;

/**
 * The header in front of a map's slot 0 (bpf_core.v): hash maps have the next sequence
 * number at base - 8; LPM tries also a bitmap of the prefix lengths in use at base - 24
 * (lengths 0..63), base - 16 (64..127) and base - 32 (128), and a u16 entry count per
 * length 0..128 at base - 296 + 2 * length (LPM_HDR in bpf_core.v).
 */
const HEADER_BYTES: Readonly<Partial<Record<MapDef["kind"], number>>> = {
  hash: 8,          // sequence word
  percpu_hash: 8,   // one CPU: a hash map
  lru_hash: 8,      // sequence word: the next last-use number
  lpm_trie: 296,    // counts (129 x u16, padded to 264 bytes) + bitmap (3 words) + sequence word
  tcam: 8,          // the number of rows
};
const LPM_COUNTS_FROM_BASE = -296;
/** The bitmap word of a prefix length: 0..63 at base - 24, 64..127 at base - 16, 128 at base - 32. */
const lpmBitmapFromBase = (len: number): number => (len >= 128 ? -32 : -24 + 8 * (len >> 6));

/** Kinds whose slots are hashed (value, key, meta word); percpu_hash is a hash map for the engine's one CPU. */
const hashed = (def: MapDef): boolean => def.kind === "hash" || def.kind === "percpu_hash" || def.kind === "lru_hash" || def.kind === "lpm_trie";
/** Array-like kinds: percpu_array is an array for the engine's one CPU (as the interpreter models it). */
const arrayLike = (def: MapDef): boolean => def.kind === "array" || def.kind === "percpu_array";
/** prog_array and devmap: array-shaped, read only by tail calls and redirect_map (programs.ts MAP_KIND_CODES). */
const slotOnly = (def: MapDef): boolean => def.kind === "prog_array" || def.kind === "devmap";
/** The table's [63:62] for keyed kinds: bpf_core's mt_lpm / mt_tcam / mt_lru. */
const KEYED_VARIANT: Readonly<Partial<Record<MapDef["kind"], bigint>>> = { lpm_trie: 1n, tcam: 2n, lru_hash: 3n };
/** Kinds whose key the engine reads as 8-byte words (the table's bit 15). */
const keyed = (def: MapDef): boolean => hashed(def) || def.kind === "tcam";

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
  const metaOffset = keyOffset + round8(Math.max(def.keySize, 1));
  return { keyOffset, metaOffset, bytes: metaOffset + 8 };
}

/**
 * The engine's hash of a key (bpf_core h_mix / h_range): the key zero-padded to 24 bytes,
 * its three little-endian 8-byte words XORed, the halves of that XORed, multiplied by
 * 0x9e3779b1 (mod 2**32); the home slot is (mix * max_entries) >> 32.
 */
export function hashHome(key: Uint8Array, maxEntries: number): number {
  const b = new Uint8Array(24);
  b.set(key.subarray(0, 24));
  const v = new DataView(b.buffer);
  let f32 = 0;
  for (let at = 0; at < 24; at += 4) f32 ^= v.getUint32(at, true);
  f32 >>>= 0;
  const mix = Math.imul(f32, 0x9e3779b1) >>> 0;
  return Math.floor((mix * maxEntries) / 2 ** 32);
}

/** TCAM row: the data at 0, the entry's value at valueOffset, its mask at maskOffset (8 or 16 bytes each), the priority word after. */
export function tcamSlot(def: Pick<MapDef, "keySize" | "valueSize">): { valueOffset: number; maskOffset: number; priorityOffset: number; bytes: number } {
  const valueOffset = round8(def.valueSize);
  const width = def.keySize > 8 ? 16 : 8;
  return { valueOffset, maskOffset: valueOffset + width, priorityOffset: valueOffset + 2 * width, bytes: valueOffset + 2 * width + 8 };
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
    if (!arrayLike(d) && !keyed(d) && !slotOnly(d)) out.push(`map '${d.name}' of kind ${d.kind} (the engine has array, percpu_array, hash, percpu_hash, lru_hash, lpm_trie, tcam, prog_array and devmap maps only)`);
    if (d.kind === "tcam" && (d.keySize < 1 || d.keySize > MAX_HASH_KEY)) out.push(`map '${d.name}' has ${d.keySize}-byte keys (the engine's TCAMs take 1 to ${MAX_HASH_KEY})`);
    if (hashed(d) && d.kind !== "lpm_trie" && (d.keySize < 1 || d.keySize > MAX_HASH_KEY)) out.push(`map '${d.name}' has ${d.keySize}-byte keys (the engine's hash maps take 1 to ${MAX_HASH_KEY})`);
    if (d.kind === "lpm_trie" && (d.keySize < LPM_KEY_SIZES.min || d.keySize > LPM_KEY_SIZES.max)) {
      out.push(`map '${d.name}' has ${d.keySize}-byte keys (the engine's LPM tries take ${LPM_KEY_SIZES.min} to ${LPM_KEY_SIZES.max}: prefixes of at most ${8 * (LPM_KEY_SIZES.max - 4)} bits)`);
    }
    if (d.valueSize > 0x4000) out.push(`map '${d.name}' has ${d.valueSize}-byte values (the map table holds at most 16384)`);
    if (d.maxEntries > 0xffff) out.push(`map '${d.name}' has ${d.maxEntries} entries (the map table holds at most 65535)`);
    bytes += regionBytes(d);
  }
  if (bytes > MAP_MEMORY_BYTES) out.push(`${bytes} bytes of map memory with values in power-of-two slots (the engine has ${MAP_MEMORY_BYTES})`);
  return out;
}

function shiftOf(def: MapDef): number {
  return slotShift(def.kind === "tcam" ? tcamSlot(def).bytes : hashed(def) ? hashSlot(def).bytes : def.valueSize);
}

const headerBytes = (def: MapDef): number => HEADER_BYTES[def.kind] ?? 0;

function regionBytes(def: MapDef): number {
  return headerBytes(def) + def.maxEntries * 2 ** shiftOf(def);
}

/** The maps one after another, in object order; call mapProblems first. */
export function mapLayout(defs: readonly MapDef[]): MapLayout {
  let start = 0;
  const maps = defs.map((def) => {
    const p = { def, start, base: start + headerBytes(def), shift: shiftOf(def), bytes: regionBytes(def) };
    start += p.bytes;
    return p;
  });
  return { maps, bytes: start };
}

/**
 * The map table word of bpf_core: [14:0] value_size, [15] keyed slots (hash, LPM, TCAM),
 * [19:16] shift, [35:20] max_entries, [39:36] key_size - 1 (keyed), [60:40] base,
 * [61] read-only for programs, [63:62] the keyed kind (0 hash, 1 LPM trie, 2 TCAM, 3 LRU hash).
 */
export function tableWord(p: MapPlacement): bigint {
  const key = keyed(p.def);
  return BigInt(p.def.valueSize) | (key ? 1n << 15n : 0n) | (BigInt(p.shift) << 16n) | (BigInt(p.def.maxEntries) << 20n) |
    (key ? BigInt(p.def.keySize - (p.def.kind === "lpm_trie" ? LPM_KEY_SIZES.min : 1)) << 36n : 0n) | (BigInt(p.base) << 40n) | (p.def.flags & BPF_F_RDONLY_PROG ? 1n << 61n : 0n) | ((KEYED_VARIANT[p.def.kind] ?? 0n) << 62n);
}

/** The hash slot a new key goes to: linear probing from its home slot to the first empty one. */
function placeHash(p: MapPlacement, used: boolean[], key: Uint8Array): number {
  const n = p.def.maxEntries;
  let i = hashHome(key, n);
  for (let probe = 0; probe < n; probe++, i = i + 1 === n ? 0 : i + 1) if (!used[i]) return i;
  throw new Error(`map '${p.def.name}': no free slot`);
}

/**
 * A hash map's or LPM trie's region: header, then the slots, entries in the map's order
 * (a hash map's insertion order; a trie's keys are canonical already). LPM: every entry
 * counted under its prefix length, and the length's bit set in the bitmap.
 */
function hashRegion(p: MapPlacement, map: BpfMap): Uint8Array {
  const out = new Uint8Array(p.bytes);
  const view = new DataView(out.buffer);
  const { keyOffset, metaOffset } = hashSlot(p.def);
  const base = p.base - p.start;
  const used: boolean[] = [];
  let seq = 0;
  for (const e of map.entries()) {
    const i = placeHash(p, used, e.key);
    used[i] = true;
    const at = base + (i << p.shift);
    out.set(e.value.subarray(0, p.def.valueSize), at);
    out.set(e.key.subarray(0, p.def.keySize), at + keyOffset);
    view.setUint32(at + metaOffset, 1, true);
    view.setUint32(at + metaOffset + 4, seq++, true);
    if (p.def.kind === "lpm_trie") {
      const len = view.getUint32(at + keyOffset, true);
      const count = base + LPM_COUNTS_FROM_BASE + 2 * len;
      view.setUint16(count, view.getUint16(count, true) + 1, true);
      out[base + lpmBitmapFromBase(len) + ((len & 63) >> 3)]! |= 1 << (len & 7);
    }
  }
  view.setUint32(base - 8, seq, true);
  return out;
}

/** A TCAM's region: the row count, then the rows in match order (data, value, mask, priority). */
function tcamRegion(p: MapPlacement, map: BpfMap): Uint8Array {
  const out = new Uint8Array(p.bytes);
  const view = new DataView(out.buffer);
  const { valueOffset, maskOffset, priorityOffset } = tcamSlot(p.def);
  let n = 0;
  for (const e of map.entries()) {
    const at = 8 + (n++ << p.shift);
    out.set(e.value.subarray(0, p.def.valueSize), at);
    out.set(e.key.subarray(0, p.def.keySize), at + valueOffset);
    out.set(e.mask!.subarray(0, p.def.keySize), at + maskOffset);
    view.setUint32(at + priorityOffset, e.priority!, true);
  }
  view.setUint32(0, n, true);
  return out;
}

/** A map's region (values in their slots), from its map image (runtime/maps/image.ts) or, for a hash map, its entries: the bytes of maps/<name>.hex. */
export function mapSlots(p: MapPlacement, map: BpfMap): Uint8Array {
  if (p.def.kind === "tcam") return tcamRegion(p, map);
  if (hashed(p.def)) return hashRegion(p, map);
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
 * the entry order (insertion order) is the engine's; LPM tries the same way (their
 * entries list in prefix order whatever the insertion order, as the interpreter's do);
 * TCAMs (whose rows programs cannot change, only their data) emptied and refilled row by
 * row, which keeps the row order.
 */
export function storeMapMemory(layout: MapLayout, memory: Uint8Array, maps: readonly BpfMap[]): void {
  layout.maps.forEach((p, m) => {
    const map = maps[m]!;
    // Programs cannot change a prog_array or devmap on the engine (only tail calls and
    // redirect_map read them): the live map is already what the memory holds.
    if (slotOnly(p.def)) return;
    if (isTcam(map)) {
      const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
      const { valueOffset, maskOffset, priorityOffset } = tcamSlot(p.def);
      const rows = view.getUint32(p.base - 8, true);
      for (const e of [...map.entries()]) map.remove(e.key, e.mask!, e.priority!);
      for (let i = 0; i < rows; i++) {
        const at = p.base + (i << p.shift);
        const field = (o: number) => memory.slice(at + o, at + o + p.def.keySize);
        const rc = map.insert(field(valueOffset), field(maskOffset), view.getUint32(at + priorityOffset, true), memory.slice(at, at + p.def.valueSize));
        if (rc !== 0) throw new Error(`map '${p.def.name}': writing row ${i} back failed (${rc})`);
      }
      return;
    }
    if (hashed(p.def)) {
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
