// Hash maps: BPF_MAP_TYPE_HASH, PERCPU_HASH (one CPU modelled) and LRU_HASH. Keys are
// looked up in a JS Map by their bytes (keyId), so every operation is O(key size). The
// JS Map's insertion order is the deterministic entry order; for the LRU map it is kept
// as recency order (least recently used first) by re-inserting an entry on every use.
import { ERRNO, UPDATE_FLAGS, type MapDef } from "./def.js";
import { badUpdateFlags, copyBytes, idBytes, keyId, nextKeyIn, type BpfMap, type MapEntry } from "./map.js";

export class HashMap implements BpfMap {
  readonly def: MapDef;
  /** keyId -> live value buffer. */
  private readonly table = new Map<string, Uint8Array>();
  /**
   * LRU_HASH evicts instead of failing when full. The kernel's LRU is approximate (per-CPU
   * lists and a reference bit, kernel/bpf/bpf_lru_list.c); we model exact LRU, which is
   * what the documentation promises and what a backend can be tested against.
   */
  private readonly lru: boolean;

  constructor(def: MapDef) {
    this.def = def;
    this.lru = def.kind === "lru_hash";
  }

  get size(): number {
    return this.table.size;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (key.length !== this.def.keySize) return undefined;
    const id = keyId(key);
    const v = this.table.get(id);
    if (v && this.lru) this.touch(id, v);
    return v;
  }

  /** Moves an entry to the most-recently-used end. */
  private touch(id: string, v: Uint8Array): void {
    this.table.delete(id);
    this.table.set(id, v);
  }

  // kernel/bpf/hashtab.c check_flags: NOEXIST on an existing key is -EEXIST, EXIST on a
  // missing key is -ENOENT; a new key in a full map is -E2BIG (htab_map_update_elem),
  // except in an LRU map, which frees the least recently used element for it.
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags) || key.length !== this.def.keySize || value.length !== this.def.valueSize) return -ERRNO.EINVAL;
    const id = keyId(key);
    const old = this.table.get(id);
    if (old && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (!old && flags === UPDATE_FLAGS.EXIST) return -ERRNO.ENOENT;
    if (old) {
      // The value object stays the same, so a program's pointer into it stays valid.
      old.set(value);
      if (this.lru) this.touch(id, old);
      return 0;
    }
    if (this.table.size >= this.def.maxEntries) {
      if (!this.lru) return -ERRNO.E2BIG;
      const victim = this.table.keys().next().value as string;
      this.table.delete(victim);
    }
    this.table.set(id, copyBytes(value));
    return 0;
  }

  delete(key: Uint8Array): number {
    if (key.length !== this.def.keySize) return -ERRNO.EINVAL;
    return this.table.delete(keyId(key)) ? 0 : -ERRNO.ENOENT;
  }

  *entries(): Iterable<MapEntry> {
    for (const [id, v] of this.table) yield { key: idBytes(id), value: copyBytes(v) };
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    return nextKeyIn(Array.from(this.table.keys(), idBytes), key);
  }
}
