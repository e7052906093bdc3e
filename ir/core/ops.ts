// The IR's opcodes as data. Each row says what the operands are and what the result is;
// the parser, the validator, the printer and the passes all read this one table.
//
// Operand pattern letters:
//   i  a value or an integer immediate     v  a value           n  an integer immediate
//   @  a symbol (map, function, table)     R  a region word     F  an xdp_md field word
//   *  any number of further operands (values, immediates or words)
import type { Type } from "./ir.js";

export interface OpRow {
  readonly name: string;
  readonly args: string;
  /** Result type, "none" for no result, or "arg0" for the type of the first operand. */
  readonly result: Type | "none" | "arg0" | "field";
  /** Side effects (stores, helper calls, map updates): DCE must keep it. */
  readonly effect: boolean;
  readonly doc: string;
}

/** BPF arithmetic (RFC 9669 §4.1 semantics: x/0 = 0, x%0 = x, shift amounts masked). */
export const BINARY = ["add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "and", "or", "xor", "shl", "lshr", "ashr"] as const;
export type BinaryOp = (typeof BINARY)[number];
/** Unary operations; `zext32` is BPF's mov32 (truncate then zero-extend). */
export const UNARY = ["neg", "neg32", "zext32", "bswap16", "bswap32", "bswap64", "be16", "be32", "be64", "le16", "le32", "le64", "sext8", "sext16", "sext32", "sext8_32", "sext16_32"] as const;
export const CONDITIONS = ["eq", "ne", "ugt", "uge", "ult", "ule", "sgt", "sge", "slt", "sle", "set"] as const;
export type Condition = (typeof CONDITIONS)[number];
export const LOAD_SIZES = ["u8", "u16", "u32", "u64", "s8", "s16", "s32"] as const;
export const STORE_SIZES = ["u8", "u16", "u32", "u64"] as const;
export const ATOMIC_OPS = ["add", "or", "and", "xor", "fetch_add", "fetch_or", "fetch_and", "fetch_xor", "xchg"] as const;
export const TABLE_MATCH_KINDS = ["exact", "lpm", "ternary", "range"] as const;
/**
 * `%p = table.apply @t, kind, width, value, ... : ptr.map_value`: a match-action table
 * lookup. After the table's map come the key fields in order, three operands each: the
 * match kind (a TABLE_MATCH_KINDS word), the field's width in bits (1..64) and its value
 * (the bits zero-extended). The result points at the matching entry's value (u32 action
 * index, then the action data; runtime/maps/table-layout.ts) or is 0 on a miss. How the key
 * is laid out in the map is the map kind's business (hash, lpm_trie, tcam), so a
 * match-action target sees the fields and a BPF target gets them packed by the
 * lower-tables pass. An effect: a lookup is a read the program must not reorder across
 * control-plane-visible state, as map.lookup.
 */
const TABLE_APPLY_DOC = "P4/ASIC table lookup: the map, then (match-kind word, width in bits, value) per key field; the entry's value pointer or 0 on a miss";

/** xdp_md fields as IR values: the kernel widens the three pointers (see runtime/interp/xdp.ts). */
export const CTX_FIELDS: Readonly<Record<string, { offset: number; type: Type }>> = {
  data: { offset: 0, type: "ptr.packet" },
  data_end: { offset: 4, type: "ptr.packet" },
  data_meta: { offset: 8, type: "ptr.packet" },
  ingress_ifindex: { offset: 12, type: "i64" },
  rx_queue_index: { offset: 16, type: "i64" },
  egress_ifindex: { offset: 20, type: "i64" },
};

function rows(): OpRow[] {
  const out: OpRow[] = [];
  for (const op of BINARY) {
    out.push({ name: op, args: "ii", result: "i64", effect: false, doc: `64-bit ${op}` });
    out.push({ name: `${op}32`, args: "ii", result: "i64", effect: false, doc: `32-bit ${op}, zero-extended` });
  }
  for (const op of UNARY) out.push({ name: op, args: "i", result: "i64", effect: false, doc: op });
  out.push({ name: "const", args: "n", result: "i64", effect: false, doc: "an integer constant" });
  out.push({ name: "undef", args: "", result: "i64", effect: false, doc: "a value never read before being set (an unset register)" });
  for (const c of CONDITIONS) {
    out.push({ name: `icmp.${c}`, args: "ii", result: "i1", effect: false, doc: `64-bit compare ${c}` });
    out.push({ name: `icmp32.${c}`, args: "ii", result: "i1", effect: false, doc: `32-bit compare ${c}` });
  }
  out.push({ name: "select", args: "iii", result: "i64", effect: false, doc: "cond ? a : b (if-conversion)" });
  for (const s of LOAD_SIZES) out.push({ name: `load.${s}`, args: "Rvn", result: "i64", effect: false, doc: `load ${s} from region at ptr + off` });
  for (const s of STORE_SIZES) out.push({ name: `store.${s}`, args: "Rvni", result: "none", effect: true, doc: `store ${s} to region at ptr + off` });
  for (const s of ["u32", "u64"]) {
    for (const a of ATOMIC_OPS) out.push({ name: `atomic.${a}.${s}`, args: "Rvni", result: "i64", effect: true, doc: `atomic ${a}; the old value for fetch and xchg, else 0` });
    out.push({ name: `atomic.cmpxchg.${s}`, args: "Rvnii", result: "i64", effect: true, doc: "compare with the 4th operand, store the 5th; the old value" });
  }
  out.push({ name: "ptradd", args: "vi", result: "arg0", effect: false, doc: "pointer plus byte offset, same region" });
  out.push({ name: "frame", args: "", result: "ptr.stack", effect: false, doc: "the frame pointer (top of this function's 512-byte stack)" });
  out.push({ name: "ctx.get", args: "vF", result: "field", effect: false, doc: "a field of the program context" });
  out.push({ name: "packet.check", args: "vvi", result: "i1", effect: false, doc: "ptr + len <= end (ptr, end, len): a packet bounds check" });
  out.push({ name: "map.ref", args: "@", result: "map", effect: false, doc: "a map, as a value (for helpers that take one)" });
  out.push({ name: "map.lookup", args: "@v", result: "ptr.map_value", effect: true, doc: "value pointer or 0 (LRU maps update recency: an effect)" });
  out.push({ name: "map.array_elem", args: "@i", result: "ptr.map_value", effect: false, doc: "array map: address of element idx (its low 32 bits, the u32 key), or 0 when idx >= max_entries: a lookup as address arithmetic" });
  out.push({ name: "map.update", args: "@vvi", result: "i64", effect: true, doc: "key ptr, value ptr, flags; 0 or -errno" });
  out.push({ name: "map.delete", args: "@v", result: "i64", effect: true, doc: "key ptr; 0 or -errno" });
  out.push({ name: "global.addr", args: "@n", result: "ptr.global", effect: false, doc: "address of global data (a map's single value) plus offset" });
  out.push({ name: "call.helper", args: "n*", result: "i64", effect: true, doc: "helper by Linux number, up to 5 arguments" });
  out.push({ name: "call", args: "@*", result: "i64", effect: true, doc: "a function of this module, up to 5 arguments" });
  out.push({ name: "table.apply", args: "@*", result: "ptr.map_value", effect: true, doc: TABLE_APPLY_DOC });
  return out;
}

export const OPS: ReadonlyMap<string, OpRow> = new Map(rows().map((r) => [r.name, r]));
