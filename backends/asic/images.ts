// Table images (tables/<memory>.json): the runtime map contents laid out as the chip holds
// them (docs/asic-pipeline.md §Images). Exact tables: each entry in the first of the hash
// ways whose bucket is free (bucket = CRC-32 of the way number and the key, modulo the
// way's depth); ternary tables (tcam maps, LPM tries): value/mask rows in match order
// (priority, then insertion; LPM: longest prefix first, the prefix length as priority);
// registers (arrays the stateful ALUs update): one value per index.
// Shared by the compiler (images of const and control-plane entries), the behavioural
// model (lookups, updates) and the map API on a bundle.
import { crc32 } from "../../runtime/maps/crc32.js";
import type { MapDef } from "../../runtime/maps/def.js";
import type { MapEntry } from "../../runtime/maps/map.js";
import type { TableImage } from "./config.js";

export type ImageKind = "exact" | "ternary" | "register";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

export function hashBucket(way: number, key: Uint8Array, depth: number): number {
  return crc32(Uint8Array.from([way, ...key])) % depth;
}

export function exactDepth(map: MapDef, ways: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(map.maxEntries / ways))));
}

export class ImageError extends Error {}

/** A mutable image: what the model and the map API work on; `toJSON` gives the file. */
export class Memory {
  readonly rows: { value: Uint8Array; mask: Uint8Array; priority: number; data: Uint8Array }[] = [];
  readonly slots = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  readonly registers: Uint8Array[] = [];

  constructor(
    readonly def: MapDef,
    readonly kind: ImageKind,
    readonly ways: number,
  ) {
    if (kind === "register") for (let i = 0; i < def.maxEntries; i++) this.registers.push(new Uint8Array(def.valueSize));
  }

  get depth(): number {
    return exactDepth(this.def, this.ways);
  }

  static fromImage(def: MapDef, img: TableImage): Memory {
    const m = new Memory(def, img.kind, img.kind === "exact" ? img.ways : 4);
    if (img.kind === "exact") for (const [w, b, k, v] of img.entries) m.slots.set(`${w}:${b}`, { key: bytes(k), value: bytes(v) });
    else if (img.kind === "ternary") for (const r of img.rows) m.rows.push({ value: bytes(r.value), mask: bytes(r.mask), priority: r.priority, data: bytes(r.data) });
    else img.entries.forEach((v, i) => (m.registers[i] = bytes(v)));
    return m;
  }

  /** Entries as a runtime map holds them (for write-back and `map dump`). */
  entries(): MapEntry[] {
    if (this.kind === "exact") return [...this.slots.values()].map((s) => ({ key: s.key, value: s.value }));
    if (this.kind === "register") return this.registers.map((v, i) => ({ key: Uint8Array.from([i & 255, (i >> 8) & 255, (i >> 16) & 255, i >>> 24]), value: v }));
    if (this.def.kind === "lpm_trie") return this.rows.map((r) => ({ key: Uint8Array.from([r.priority & 255, (r.priority >> 8) & 255, 0, 0, ...r.value.slice(4)]), value: r.data }));
    return this.rows.map((r) => ({ key: r.value, mask: r.mask, priority: r.priority, value: r.data }));
  }

  /** Adds or replaces an entry as the control plane (or the learn path) writes it; false when it does not fit. */
  insert(e: MapEntry): boolean {
    if (this.kind === "register") {
      const i = e.key[0]! | (e.key[1]! << 8) | (e.key[2]! << 16) | (e.key[3]! << 24);
      if (i < 0 || i >= this.registers.length) return false;
      this.registers[i] = Uint8Array.from(e.value);
      return true;
    }
    if (this.kind === "exact") {
      const found = this.find(e.key);
      if (found) {
        found.value = Uint8Array.from(e.value);
        return true;
      }
      if (this.slots.size >= this.def.maxEntries) return false;
      for (let w = 0; w < this.ways; w++) {
        const at = `${w}:${hashBucket(w, e.key, this.depth)}`;
        if (!this.slots.has(at)) {
          this.slots.set(at, { key: Uint8Array.from(e.key), value: Uint8Array.from(e.value) });
          return true;
        }
      }
      return false;
    }
    const row = this.ternaryRow(e);
    const same = this.rows.findIndex((r) => hex(r.value) === hex(row.value) && hex(r.mask) === hex(row.mask) && r.priority === row.priority);
    if (same >= 0) {
      this.rows[same]!.data = row.data;
      return true;
    }
    if (this.rows.length >= this.def.maxEntries) return false;
    // Rows in match order: higher priority first; among equals the older row stays first.
    let at = this.rows.findIndex((r) => r.priority < row.priority);
    if (at < 0) at = this.rows.length;
    this.rows.splice(at, 0, row);
    return true;
  }

  remove(e: MapEntry): boolean {
    if (this.kind === "exact") {
      for (const [at, s] of this.slots) if (hex(s.key) === hex(e.key)) return this.slots.delete(at);
      return false;
    }
    if (this.kind === "register") return false;
    const row = this.ternaryRow(e);
    const i = this.rows.findIndex((r) => hex(r.value) === hex(row.value) && hex(r.mask) === hex(row.mask) && r.priority === row.priority);
    if (i >= 0) this.rows.splice(i, 1);
    return i >= 0;
  }

  private ternaryRow(e: MapEntry): { value: Uint8Array; mask: Uint8Array; priority: number; data: Uint8Array } {
    if (this.def.kind === "lpm_trie") {
      const plen = e.key[0]! | (e.key[1]! << 8) | (e.key[2]! << 16) | (e.key[3]! << 24);
      const mask = new Uint8Array(this.def.keySize);
      for (let b = 0; b < plen; b++) mask[4 + (b >> 3)]! |= 0x80 >> (b & 7);
      return { value: Uint8Array.from(e.key, (x, i) => x & mask[i]!), mask, priority: plen, data: Uint8Array.from(e.value) };
    }
    const mask = e.mask ?? new Uint8Array(this.def.keySize).fill(0xff);
    return { value: Uint8Array.from(e.key, (x, i) => x & mask[i]!), mask: Uint8Array.from(mask), priority: e.priority ?? 0, data: Uint8Array.from(e.value) };
  }

  private find(key: Uint8Array): { key: Uint8Array; value: Uint8Array } | undefined {
    for (let w = 0; w < this.ways; w++) {
      const s = this.slots.get(`${w}:${hashBucket(w, key, this.depth)}`);
      if (s && hex(s.key) === hex(key)) return s;
    }
    return undefined;
  }

  /** The chip's lookup: the entry's data and its address (way * depth + bucket, or the TCAM row). */
  lookup(key: Uint8Array): { data: Uint8Array; address: number } | undefined {
    if (this.kind === "exact") {
      for (let w = 0; w < this.ways; w++) {
        const b = hashBucket(w, key, this.depth);
        const s = this.slots.get(`${w}:${b}`);
        if (s && hex(s.key) === hex(key)) return { data: s.value, address: w * this.depth + b };
      }
      return undefined;
    }
    if (this.kind === "ternary") {
      const i = this.rows.findIndex((r) => r.value.every((v, j) => (key[j]! & r.mask[j]!) === v));
      return i < 0 ? undefined : { data: this.rows[i]!.data, address: i };
    }
    // A direct-indexed table: the key is the u32 index (little-endian, as the program's key).
    const i = (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
    return i < this.registers.length ? { data: this.registers[i]!, address: i } : undefined;
  }

  /** The value at an address lookup() gave (direct counters update it in place). */
  atAddress(address: number): Uint8Array | undefined {
    if (this.kind === "exact") return this.slots.get(`${Math.floor(address / this.depth)}:${address % this.depth}`)?.value;
    if (this.kind === "ternary") return this.rows[address]?.data;
    return this.registers[address];
  }

  toJSON(): TableImage {
    const base = { memory: this.def.name };
    if (this.kind === "exact") {
      const entries = [...this.slots].map(([at, s]) => [...at.split(":").map(Number), hex(s.key), hex(s.value)] as [number, number, string, string]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return { ...base, kind: "exact", key_bytes: this.def.keySize, value_bytes: this.def.valueSize, ways: this.ways, depth: this.depth, entries };
    }
    if (this.kind === "ternary") return { ...base, kind: "ternary", key_bytes: this.def.keySize, value_bytes: this.def.valueSize, rows: this.rows.map((r) => ({ value: hex(r.value), mask: hex(r.mask), priority: r.priority, data: hex(r.data) })) };
    return { ...base, kind: "register", value_bytes: this.def.valueSize, entries: this.registers.map(hex) };
  }
}

/** A memory filled with entries (const entries, control-plane entries, a live map's contents). */
export function memoryFrom(def: MapDef, kind: ImageKind, ways: number, entries: Iterable<MapEntry>): Memory {
  const m = new Memory(def, kind, ways);
  const list = [...entries];
  // LPM entries come shortest prefix first; rows want the longest first, ties in the given order.
  const ordered = def.kind === "lpm_trie" ? list.map((e, i) => ({ e, i })).sort((a, b) => (b.e.key[0]! | (b.e.key[1]! << 8)) - (a.e.key[0]! | (a.e.key[1]! << 8)) || a.i - b.i).map((x) => x.e) : list;
  for (const e of ordered) if (!m.insert(e)) throw new ImageError(`${def.name}: the entry ${hex(e.key)} does not fit (${kind === "exact" ? `all ${ways} hash ways of its buckets are taken` : "the table is full"})`);
  return m;
}
