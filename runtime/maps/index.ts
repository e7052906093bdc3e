// createMap: a MapDef checked against what its kind allows (the kernel's map_alloc_check
// rules, as a table), then the model that implements the kind.
import { fail, type Location } from "../../ir/diag/diag.js";
import { UPDATE_FLAGS, type MapDef, type MapKind } from "./def.js";
import { ArrayMap, SlotArrayMap } from "./array.js";
import { HashMap } from "./hash.js";
import { LpmTrieMap } from "./lpm.js";
import { TcamMapImpl } from "./tcam.js";
import { isTcam, type BpfMap, type MapEntry } from "./map.js";

export * from "./map.js";
export { lpmCanonicalKey, lpmMaxPrefixlen } from "./lpm.js";
export { tcamCanonicalValue } from "./tcam.js";

/** BPF_F_NO_PREALLOC (include/uapi/linux/bpf.h). */
export const BPF_F_NO_PREALLOC = 1;

/**
 * Preallocated kinds hold max_entries values in memory at once; past this many bytes a
 * definition is more likely a typo or a corrupted image than a map anyone can run.
 */
const PREALLOC_BUDGET = 256 * 1024 * 1024;

interface KindRule {
  /** Allowed key sizes, inclusive. */
  readonly key: readonly [number, number];
  /** Allowed value sizes, inclusive, or an explicit list. */
  readonly value: readonly [number, number] | { readonly oneOf: readonly number[] };
  /** Flags the kind requires. */
  readonly requiredFlags?: number;
  /** Whether max_entries values are allocated up front (and `init` may fill them). */
  readonly prealloc: boolean;
}

const ANY_SIZE = 0xffffffff;
/** MAX_BPF_STACK: a hash key is copied from the program's stack. */
const MAX_HASH_KEY = 512;
/** PCPU_MIN_UNIT_SIZE: a per-CPU value must fit one per-CPU allocation unit. */
const MAX_PERCPU_VALUE = 32768;

const KIND_RULES: Readonly<Record<MapKind, KindRule>> = {
  // kernel/bpf/hashtab.c htab_map_alloc_check: key_size <= MAX_BPF_STACK.
  hash: { key: [1, MAX_HASH_KEY], value: [1, ANY_SIZE], prealloc: false },
  // kernel/bpf/arraymap.c array_map_alloc_check: key_size must be 4 (a u32 index).
  array: { key: [4, 4], value: [1, ANY_SIZE], prealloc: true },
  // fd_array_map_alloc_check: the value is a u32 program fd (an id when read back).
  prog_array: { key: [4, 4], value: [4, 4], prealloc: true },
  percpu_hash: { key: [1, MAX_HASH_KEY], value: [1, MAX_PERCPU_VALUE], prealloc: false },
  percpu_array: { key: [4, 4], value: [1, MAX_PERCPU_VALUE], prealloc: true },
  lru_hash: { key: [1, MAX_HASH_KEY], value: [1, ANY_SIZE], prealloc: false },
  // kernel/bpf/lpm_trie.c trie_alloc: 4-byte prefixlen + 1..256 data bytes, and the
  // trie allocates nodes on demand, so BPF_F_NO_PREALLOC is mandatory.
  lpm_trie: { key: [5, 4 + 256], value: [1, ANY_SIZE], requiredFlags: BPF_F_NO_PREALLOC, prealloc: false },
  // kernel/bpf/devmap.c dev_map_alloc_check: value is an ifindex, or ifindex + prog fd.
  devmap: { key: [4, 4], value: { oneOf: [4, 8] }, prealloc: true },
  // Ours: a TCAM key is as wide as a hash key.
  tcam: { key: [1, MAX_HASH_KEY], value: [1, ANY_SIZE], prealloc: false },
};

/** Every reason `def` is not a map of its kind (empty when it is). */
export function checkMapDef(def: MapDef, init?: Uint8Array): string[] {
  const rule = KIND_RULES[def.kind];
  if (!rule) return [`unknown map kind '${String(def.kind)}'`];
  const problems: string[] = [];
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!u32(def.keySize) || def.keySize < rule.key[0] || def.keySize > rule.key[1])
    problems.push(rule.key[0] === rule.key[1] ? `key size must be ${rule.key[0]} (it is ${def.keySize})` : `key size must be ${rule.key[0]}..${rule.key[1]} (it is ${def.keySize})`);
  if ("oneOf" in rule.value) {
    if (!rule.value.oneOf.includes(def.valueSize)) problems.push(`value size must be ${rule.value.oneOf.join(" or ")} (it is ${def.valueSize})`);
  } else if (!u32(def.valueSize) || def.valueSize < rule.value[0] || def.valueSize > rule.value[1]) {
    problems.push(rule.value[0] === rule.value[1] ? `value size must be ${rule.value[0]} (it is ${def.valueSize})` : `value size must be ${rule.value[0]}..${rule.value[1]} (it is ${def.valueSize})`);
  }
  if (!u32(def.maxEntries) || def.maxEntries < 1) problems.push(`max entries must be 1..4294967295 (it is ${def.maxEntries})`);
  if (!u32(def.flags)) problems.push(`flags must be a u32 (they are ${def.flags})`);
  else if (rule.requiredFlags !== undefined && (def.flags & rule.requiredFlags) !== rule.requiredFlags)
    problems.push(`flags must include 0x${rule.requiredFlags.toString(16)} (BPF_F_NO_PREALLOC)`);
  if (problems.length === 0 && rule.prealloc && def.maxEntries * def.valueSize > PREALLOC_BUDGET)
    problems.push(`${def.maxEntries} entries of ${def.valueSize} bytes exceed the ${PREALLOC_BUDGET}-byte limit for preallocated maps`);
  if (init !== undefined) {
    if (def.kind !== "array" && def.kind !== "percpu_array") problems.push("only array maps take initial contents");
    else if (init.length > def.maxEntries * def.valueSize) problems.push(`initial contents are ${init.length} bytes, more than ${def.maxEntries} × ${def.valueSize}`);
  }
  return problems;
}

/**
 * A new, empty map (array values zero-filled, or `init` followed by zeros). A definition
 * its kind does not allow is a `map-def` error at `loc`.
 */
export function createMap(def: MapDef, init?: Uint8Array, loc: Location = {}): BpfMap {
  const problems = checkMapDef(def, init);
  if (problems.length > 0) fail("map-def", loc, [def.name, def.kind, problems[0]!], problems.slice(1));
  switch (def.kind) {
    case "array":
    case "percpu_array":
      return new ArrayMap(def, init);
    case "prog_array":
    case "devmap":
      return new SlotArrayMap({ ...def, kind: def.kind });
    case "hash":
    case "percpu_hash":
    case "lru_hash":
      return new HashMap(def);
    case "lpm_trie":
      return new LpmTrieMap(def);
    case "tcam":
      return new TcamMapImpl(def);
  }
}

/**
 * Writes one entry through the control plane: insert() for a TCAM (mask and priority
 * required), update() for every other kind. 0 or a negative errno.
 */
export function writeEntry(map: BpfMap, entry: MapEntry, flags: number = UPDATE_FLAGS.ANY): number {
  if (isTcam(map)) return map.insert(entry.key, entry.mask ?? new Uint8Array(map.def.keySize).fill(0xff), entry.priority ?? 0, entry.value, flags);
  return map.update(entry.key, entry.value, flags);
}
