// The map interface every map kind implements, and the small byte helpers the kinds
// share. A map is the runtime meaning of a MapDef: the interpreter calls lookup/update/
// delete with the semantics of the Linux helpers (bpf_map_lookup_elem & co.), and the
// control plane (CLI, map images, --maps-in) uses the same calls plus entries().
import { ERRNO, type MapDef } from "./def.js";

export interface MapEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** TCAM only: the care bits of key. */
  mask?: Uint8Array;
  /** TCAM only: higher wins. */
  priority?: number;
}

export interface BpfMap {
  readonly def: MapDef;
  /**
   * The live value buffer (mutable in place: the interpreter maps it into its address
   * space and programs write through it), or undefined. Same Uint8Array object every
   * time for the same entry while it exists.
   */
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** 0 or a negative errno, with Linux semantics. */
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** 0 or a negative errno, with Linux semantics. */
  delete(key: Uint8Array): number;
  /**
   * Entries in a deterministic order (array: index order; hash: insertion order; lru:
   * least recently used first; lpm: by prefix length then data; tcam: by priority desc
   * then insertion). Keys and values are copies.
   */
  entries(): Iterable<MapEntry>;
  /**
   * bpf_map_get_next_key: the key after `key`, the first key when `key` is undefined or
   * not in the map, undefined after the last key.
   */
  getNextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  /** Number of entries entries() yields. */
  readonly size: number;
}

/**
 * A TCAM's control plane. Programs cannot write a TCAM (update/delete return
 * -EOPNOTSUPP), so tables are filled through these, by images, --maps-in and the CLI.
 * An entry is identified by (value & mask, mask, priority).
 */
export interface TcamMap extends BpfMap {
  /** Adds or replaces an entry; flags are BPF_ANY/NOEXIST/EXIST on the entry's identity. */
  insert(value: Uint8Array, mask: Uint8Array, priority: number, data: Uint8Array, flags?: number): number;
  remove(value: Uint8Array, mask: Uint8Array, priority: number): number;
}

export function isTcam(map: BpfMap): map is TcamMap {
  return map.def.kind === "tcam";
}

/** Errno names and strerror(3) texts, for messages (bpftool prints strerror). */
export const ERRNO_TEXT: Readonly<Record<number, { name: string; text: string }>> = {
  [ERRNO.ENOENT]: { name: "ENOENT", text: "No such file or directory" },
  [ERRNO.E2BIG]: { name: "E2BIG", text: "Argument list too long" },
  [ERRNO.ENOMEM]: { name: "ENOMEM", text: "Cannot allocate memory" },
  [ERRNO.EEXIST]: { name: "EEXIST", text: "File exists" },
  [ERRNO.EINVAL]: { name: "EINVAL", text: "Invalid argument" },
  [ERRNO.ENOSPC]: { name: "ENOSPC", text: "No space left on device" },
  [ERRNO.EOPNOTSUPP]: { name: "EOPNOTSUPP", text: "Operation not supported" },
};

/** `-EEXIST (File exists)` for a negative errno. */
export function describeErrno(ret: number): string {
  const e = ERRNO_TEXT[-ret];
  return e ? `-${e.name} (${e.text})` : `error ${ret}`;
}

/** A key's bytes as a Map key: latin1 keeps one char per byte, so it is O(length) and exact. */
export function keyId(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

export function idBytes(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, "latin1"));
}

/**
 * A copy that owns its memory. Not `.slice()`: on a Node Buffer (what readFileSync gives)
 * slice() is a view, and a map must never alias its caller's bytes.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** `0a 00 00 00`, as bpftool prints bytes. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Lexicographic byte order (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function u32le(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

export function u32leBytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** include/uapi/linux/bpf.h: flags above BPF_EXIST are BPF_F_LOCK, which needs a spin lock
 * in the value; bpfoff models no spin locks, so the kernel's answer for us is -EINVAL. */
export function badUpdateFlags(flags: number): boolean {
  return !(flags === 0 || flags === 1 || flags === 2);
}

/**
 * bpf_map_get_next_key over a deterministic key order, the way the hash map does it:
 * a key that is not in the map restarts the walk (kernel/bpf/hashtab.c htab_map_get_next_key).
 */
export function nextKeyIn(keys: readonly Uint8Array[], key: Uint8Array | undefined): Uint8Array | undefined {
  if (key === undefined) return keys[0];
  const id = keyId(key);
  const i = keys.findIndex((k) => keyId(k) === id);
  if (i < 0) return keys[0];
  return keys[i + 1];
}
