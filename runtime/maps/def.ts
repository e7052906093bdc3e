// Map definitions: what a map is, independent of its contents. The same definition
// comes from a BTF-defined map in an ELF object, a legacy `maps` section, a P4 table,
// a map image header, or `bpfoff map create`.

/** Map kinds bpfoff models. Linux numbers from include/uapi/linux/bpf.h (enum bpf_map_type). */
export const MAP_KINDS = [
  { kind: "hash", linuxType: 1, doc: "hash table; update with BPF_ANY/NOEXIST/EXIST" },
  { kind: "array", linuxType: 2, doc: "fixed array of max_entries, u32 key, zero-initialised, no delete" },
  { kind: "prog_array", linuxType: 3, doc: "u32 index -> program, for bpf_tail_call" },
  { kind: "percpu_hash", linuxType: 5, doc: "hash with one value per CPU; one CPU is modelled" },
  { kind: "percpu_array", linuxType: 6, doc: "array with one value per CPU; one CPU is modelled" },
  { kind: "lru_hash", linuxType: 9, doc: "hash that evicts the least recently used entry when full" },
  { kind: "lpm_trie", linuxType: 11, doc: "longest-prefix match; key = u32 prefixlen + data, BPF_F_NO_PREALLOC required" },
  { kind: "devmap", linuxType: 14, doc: "u32 index -> ifindex, for bpf_redirect_map" },
  // Ours, outside the kernel's numbering: ternary match with priorities, for P4 ternary
  // tables and ASIC TCAM blocks. Entries are (value, mask, priority); a lookup returns
  // the value of the highest-priority entry whose masked bits equal the masked key.
  { kind: "tcam", linuxType: 0x7c01, doc: "ternary match (value/mask/priority), highest priority wins" },
] as const;

export type MapKind = (typeof MAP_KINDS)[number]["kind"];

export interface MapDef {
  /** Symbol name in the object, or the name given to `bpfoff map create`. */
  readonly name: string;
  readonly kind: MapKind;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** BPF_F_* flags as in the map definition (e.g. BPF_F_NO_PREALLOC = 1, BPF_F_RDONLY_PROG = 0x80). */
  readonly flags: number;
}

export function mapKindByLinuxType(t: number): MapKind | undefined {
  return MAP_KINDS.find((k) => k.linuxType === t)?.kind;
}

export function linuxTypeOf(kind: MapKind): number {
  return MAP_KINDS.find((k) => k.kind === kind)!.linuxType;
}

/** Map update flags (include/uapi/linux/bpf.h). */
export const UPDATE_FLAGS = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

/** Errno values helpers return negated, as the kernel does. */
export const ERRNO = { ENOENT: 2, E2BIG: 7, ENOMEM: 12, EEXIST: 17, EINVAL: 22, ENOSPC: 28, EOPNOTSUPP: 95 } as const;
