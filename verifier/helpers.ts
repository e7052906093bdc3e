// Helper signatures as data, by Linux helper id (include/uapi/linux/bpf.h; the argument
// kinds are the kernel's enum bpf_arg_type, its bpf_func_proto tables in
// kernel/bpf/helpers.c and net/core/filter.c). The verifier checks r1-r5 against `args`
// and sets r0 from `ret`; helpers the interpreter does not implement have no row here
// and are rejected as unknown.

export type ArgKind =
  | "map_ptr" // ARG_CONST_MAP_PTR: an lddw'd map
  | "map_key" // ARG_PTR_TO_MAP_KEY: key_size initialised bytes of the map in the map_ptr argument
  | "map_value" // ARG_PTR_TO_MAP_VALUE: value_size initialised bytes
  | "ctx" // ARG_PTR_TO_CTX: the program's context, unmodified
  | "anything" // ARG_ANYTHING: any initialised value
  | "mem_or_null" // ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY: readable bytes, size in the next argument
  | "size_or_zero"; // ARG_CONST_SIZE_OR_ZERO: the size of the previous argument, bounded

export type RetKind =
  | "scalar" // RET_INTEGER: any 64-bit value
  | "u32" // a 32-bit value zero-extended
  | "map_value_or_null"; // RET_PTR_TO_MAP_VALUE_OR_NULL: a value of the map in r1, or NULL

export interface HelperSig {
  readonly id: number;
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  /** Only XDP programs may call it (as runtime/helpers/table.ts says too). */
  readonly xdpOnly?: boolean;
  /** Map kinds the map_ptr argument may have (any when absent). */
  readonly mapKinds?: readonly string[];
  /** Moves the packet: every packet pointer is invalid afterwards (clear_all_pkt_pointers). */
  readonly changesPacket?: boolean;
}

export const HELPER_SIGS: readonly HelperSig[] = [
  { id: 1, name: "map_lookup_elem", args: ["map_ptr", "map_key"], ret: "map_value_or_null", mapKinds: ["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lpm_trie", "tcam"] },
  { id: 2, name: "map_update_elem", args: ["map_ptr", "map_key", "map_value", "anything"], ret: "scalar", mapKinds: ["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lpm_trie", "tcam"] },
  { id: 3, name: "map_delete_elem", args: ["map_ptr", "map_key"], ret: "scalar", mapKinds: ["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lpm_trie", "tcam"] },
  { id: 5, name: "ktime_get_ns", args: [], ret: "scalar" },
  { id: 7, name: "get_prandom_u32", args: [], ret: "u32" },
  { id: 8, name: "get_smp_processor_id", args: [], ret: "u32" },
  // On success the program does not come back; on failure r0 is an error code.
  { id: 12, name: "tail_call", args: ["ctx", "map_ptr", "anything"], ret: "scalar", mapKinds: ["prog_array"] },
  { id: 23, name: "redirect", args: ["anything", "anything"], ret: "scalar" },
  // from, from_size, to, to_size, seed: both buffers may be NULL with size 0.
  { id: 28, name: "csum_diff", args: ["mem_or_null", "size_or_zero", "mem_or_null", "size_or_zero", "anything"], ret: "scalar" },
  { id: 44, name: "xdp_adjust_head", args: ["ctx", "anything"], ret: "scalar", xdpOnly: true, changesPacket: true },
  { id: 51, name: "redirect_map", args: ["map_ptr", "anything", "anything"], ret: "scalar", xdpOnly: true, mapKinds: ["devmap"] },
  { id: 54, name: "xdp_adjust_meta", args: ["ctx", "anything"], ret: "scalar", xdpOnly: true, changesPacket: true },
  { id: 65, name: "xdp_adjust_tail", args: ["ctx", "anything"], ret: "scalar", xdpOnly: true, changesPacket: true },
];

export const HELPER_SIGS_BY_ID: ReadonlyMap<number, HelperSig> = new Map(HELPER_SIGS.map((h) => [h.id, h]));

/** csum_diff: sizes are multiples of 4 up to 512 bytes; larger is refused at run time anyway. */
export const MAX_HELPER_MEM = 512;
