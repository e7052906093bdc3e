// Array maps: BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (preallocated, zero-filled values,
// no delete), and the slot arrays PROG_ARRAY and DEVMAP (u32 -> u32, slots start empty
// and can be cleared). The key is a u32 index, little-endian as on every target we model.
// Global data (.data/.bss/.rodata) is an array with max_entries 1 whose value is `init`.
import { ERRNO, UPDATE_FLAGS, type MapDef } from "./def.js";
import { badUpdateFlags, copyBytes, u32le, u32leBytes, type BpfMap, type MapEntry } from "./map.js";

/**
 * kernel/bpf/arraymap.c, array_map_get_next_key: no key or an index out of range starts
 * at 0; the last index has no next. Shared by every array-like kind.
 */
function arrayNextKey(maxEntries: number, key: Uint8Array | undefined): Uint8Array | undefined {
  const i = key === undefined || key.length !== 4 || u32le(key) >= maxEntries ? 0 : u32le(key) + 1;
  return i < maxEntries ? u32leBytes(i) : undefined;
}

/** ARRAY and PERCPU_ARRAY (one CPU modelled: the value is the single CPU's copy). */
export class ArrayMap implements BpfMap {
  readonly def: MapDef;
  /** One buffer for all values, so a value is a subarray whose identity never changes. */
  private readonly data: Uint8Array;
  private readonly values: Uint8Array[];

  constructor(def: MapDef, init?: Uint8Array) {
    this.def = def;
    this.data = new Uint8Array(def.maxEntries * def.valueSize);
    if (init) this.data.set(init);
    this.values = [];
    for (let i = 0; i < def.maxEntries; i++) this.values.push(this.data.subarray(i * def.valueSize, (i + 1) * def.valueSize));
  }

  get size(): number {
    return this.def.maxEntries;
  }

  private index(key: Uint8Array): number | undefined {
    if (key.length !== 4) return undefined;
    const i = u32le(key);
    return i < this.def.maxEntries ? i : undefined;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    const i = this.index(key);
    return i === undefined ? undefined : this.values[i];
  }

  // kernel/bpf/arraymap.c array_map_update_elem: every element exists, so NOEXIST is
  // always -EEXIST, and an index past the end is -E2BIG ("cannot insert a new one").
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags) || key.length !== 4 || value.length !== this.def.valueSize) return -ERRNO.EINVAL;
    if (u32le(key) >= this.def.maxEntries) return -ERRNO.E2BIG;
    if (flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    this.values[u32le(key)]!.set(value);
    return 0;
  }

  // array_map_delete_elem: elements are preallocated and cannot be deleted.
  delete(_key: Uint8Array): number {
    return -ERRNO.EINVAL;
  }

  *entries(): Iterable<MapEntry> {
    for (let i = 0; i < this.def.maxEntries; i++) yield { key: u32leBytes(i), value: copyBytes(this.values[i]!) };
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    return arrayNextKey(this.def.maxEntries, key);
  }
}

/**
 * How the slot arrays differ, row by row, from the kernel sources. Both store a u32 per
 * slot (a program fd/id, an ifindex) and start empty.
 */
const SLOT_RULES = {
  // kernel/bpf/arraymap.c bpf_fd_array_map_update_elem: `if (map_flags != BPF_ANY)
  // return -EINVAL`; fd_array_map_delete_elem: -E2BIG past the end, -ENOENT if empty.
  prog_array: { onlyAny: true, deleteOutOfRange: -ERRNO.E2BIG, deleteEmpty: -ERRNO.ENOENT, zeroClears: false },
  // kernel/bpf/devmap.c dev_map_update_elem: flags > BPF_EXIST -EINVAL, NOEXIST -EEXIST
  // (every slot "exists"), and ifindex 0 empties the slot; dev_map_delete_elem: -EINVAL
  // past the end, and clearing an empty slot succeeds.
  devmap: { onlyAny: false, deleteOutOfRange: -ERRNO.EINVAL, deleteEmpty: 0, zeroClears: true },
} as const;

/** PROG_ARRAY and DEVMAP. */
export class SlotArrayMap implements BpfMap {
  readonly def: MapDef;
  private readonly slots: (Uint8Array | undefined)[];
  private readonly rules: (typeof SLOT_RULES)[keyof typeof SLOT_RULES];
  private count = 0;

  constructor(def: MapDef & { kind: "prog_array" | "devmap" }) {
    this.def = def;
    this.rules = SLOT_RULES[def.kind];
    this.slots = new Array<Uint8Array | undefined>(def.maxEntries).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (key.length !== 4) return undefined;
    const i = u32le(key);
    return i < this.def.maxEntries ? this.slots[i] : undefined;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags) || key.length !== 4 || value.length !== this.def.valueSize) return -ERRNO.EINVAL;
    if (this.rules.onlyAny && flags !== UPDATE_FLAGS.ANY) return -ERRNO.EINVAL;
    const i = u32le(key);
    if (i >= this.def.maxEntries) return -ERRNO.E2BIG;
    if (flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (this.rules.zeroClears && u32le(value) === 0) {
      this.clear(i);
      return 0;
    }
    const slot = this.slots[i];
    if (slot) slot.set(value);
    else {
      this.slots[i] = copyBytes(value);
      this.count++;
    }
    return 0;
  }

  delete(key: Uint8Array): number {
    if (key.length !== 4) return -ERRNO.EINVAL;
    const i = u32le(key);
    if (i >= this.def.maxEntries) return this.rules.deleteOutOfRange;
    if (!this.slots[i]) return this.rules.deleteEmpty;
    this.clear(i);
    return 0;
  }

  private clear(i: number): void {
    if (this.slots[i]) this.count--;
    this.slots[i] = undefined;
  }

  *entries(): Iterable<MapEntry> {
    for (let i = 0; i < this.def.maxEntries; i++) {
      const v = this.slots[i];
      if (v) yield { key: u32leBytes(i), value: copyBytes(v) };
    }
  }

  // array_map_get_next_key / dev_map_get_next_key walk every index, empty or not.
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    return arrayNextKey(this.def.maxEntries, key);
  }
}
