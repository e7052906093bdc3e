// BPF_MAP_TYPE_LPM_TRIE (Documentation/bpf/map_lpm_trie.rst, kernel/bpf/lpm_trie.c).
// A key is struct bpf_lpm_trie_key: a u32 prefixlen (host order: little-endian here)
// followed by data bytes in network order, whose bits are matched from the most
// significant bit of data[0]. An entry is a prefix; a lookup returns the value of the
// longest stored prefix, no longer than the key's prefixlen, that matches the key's data.
//
// The model is a JS Map per canonical prefix (bits past prefixlen cleared) and the set of
// prefix lengths in use: a lookup probes each length in use from longest to shortest,
// O(distinct lengths × key size) — the kernel's trie walk visits at most as many nodes.
// Stored keys are canonical, so a dump shows 10.1.0.0/16 even if 10.1.2.3/16 was written.
import { ERRNO, UPDATE_FLAGS, type MapDef } from "./def.js";
import { badUpdateFlags, compareBytes, copyBytes, keyId, nextKeyIn, u32le, type BpfMap, type MapEntry } from "./map.js";

/** The key with every data bit past its prefixlen cleared; prefixlen must be <= the maximum. */
export function lpmCanonicalKey(key: Uint8Array, prefixlen = u32le(key)): Uint8Array {
  const out = new Uint8Array(key.length);
  new DataView(out.buffer).setUint32(0, prefixlen, true);
  const full = prefixlen >>> 3;
  out.set(key.subarray(4, 4 + full), 4);
  const rest = prefixlen & 7;
  if (rest) out[4 + full] = key[4 + full]! & (0xff << (8 - rest));
  return out;
}

/** Largest prefixlen a key of this size holds: every data bit. */
export function lpmMaxPrefixlen(keySize: number): number {
  return 8 * (keySize - 4);
}

interface LpmEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export class LpmTrieMap implements BpfMap {
  readonly def: MapDef;
  private readonly maxPrefixlen: number;
  private readonly table = new Map<string, LpmEntry>();
  /** Number of entries per prefix length; the lookup probes only lengths in use. */
  private readonly lengthCount = new Map<number, number>();
  /** Prefix lengths in use, longest first; rebuilt when the set changes. */
  private lengthsDesc: number[] = [];

  constructor(def: MapDef) {
    this.def = def;
    this.maxPrefixlen = lpmMaxPrefixlen(def.keySize);
  }

  get size(): number {
    return this.table.size;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (key.length !== this.def.keySize) return undefined;
    const prefixlen = u32le(key);
    // trie_lookup_elem: a key longer than the trie's prefixes matches nothing.
    if (prefixlen > this.maxPrefixlen) return undefined;
    for (const len of this.lengthsDesc) {
      if (len > prefixlen) continue;
      const hit = this.table.get(keyId(lpmCanonicalKey(key, len)));
      if (hit) return hit.value;
    }
    return undefined;
  }

  // trie_update_elem: a prefixlen past the key's data is -EINVAL; NOEXIST/EXIST compare
  // exact prefixes; a new prefix in a full trie is -ENOSPC (not -E2BIG as in hashtab.c).
  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (badUpdateFlags(flags) || key.length !== this.def.keySize || value.length !== this.def.valueSize) return -ERRNO.EINVAL;
    const prefixlen = u32le(key);
    if (prefixlen > this.maxPrefixlen) return -ERRNO.EINVAL;
    const canon = lpmCanonicalKey(key);
    const id = keyId(canon);
    const old = this.table.get(id);
    if (old && flags === UPDATE_FLAGS.NOEXIST) return -ERRNO.EEXIST;
    if (!old && flags === UPDATE_FLAGS.EXIST) return -ERRNO.ENOENT;
    if (old) {
      old.value.set(value);
      return 0;
    }
    if (this.table.size >= this.def.maxEntries) return -ERRNO.ENOSPC;
    this.table.set(id, { key: canon, value: copyBytes(value) });
    this.countLength(prefixlen, +1);
    return 0;
  }

  // trie_delete_elem: exact prefix only; a missing one is -ENOENT.
  delete(key: Uint8Array): number {
    if (key.length !== this.def.keySize) return -ERRNO.EINVAL;
    const prefixlen = u32le(key);
    if (prefixlen > this.maxPrefixlen) return -ERRNO.EINVAL;
    if (!this.table.delete(keyId(lpmCanonicalKey(key)))) return -ERRNO.ENOENT;
    this.countLength(prefixlen, -1);
    return 0;
  }

  private countLength(len: number, delta: number): void {
    const n = (this.lengthCount.get(len) ?? 0) + delta;
    if (n === 0) this.lengthCount.delete(len);
    else this.lengthCount.set(len, n);
    if (n === 0 || n === delta) this.lengthsDesc = [...this.lengthCount.keys()].sort((a, b) => b - a);
  }

  /** By prefix length, then data bytes: a canonical key compares as (prefixlen, data). */
  private sorted(): LpmEntry[] {
    return [...this.table.values()].sort((a, b) => u32le(a.key) - u32le(b.key) || compareBytes(a.key.subarray(4), b.key.subarray(4)));
  }

  *entries(): Iterable<MapEntry> {
    for (const e of this.sorted()) yield { key: copyBytes(e.key), value: copyBytes(e.value) };
  }

  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const next = nextKeyIn(
      this.sorted().map((e) => e.key),
      key === undefined || key.length !== this.def.keySize || u32le(key) > this.maxPrefixlen ? undefined : lpmCanonicalKey(key),
    );
    return next && copyBytes(next);
  }
}
