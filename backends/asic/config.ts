// The configuration of the match-action pipeline: what `bpfoff build --target asic` writes
// (one JSON file per part, each validated by a schema of backends/asic/schemas/) and all
// that the behavioural model (backends/asic/model/) reads. docs/asic-pipeline.md describes
// every field; the compiler (compile/) makes these and nothing else crosses over.

/** A PHV container by name: B<n> 8-bit, H<n> 16-bit, W<n> 32-bit. */
export type Container = string;

/**
 * An operand: bits gathered through the crossbar, least significant first. A segment is
 * `n` bits of a container from bit `lo` upward, or `n` constant bits of `k`.
 */
export type Segment = { readonly c: Container; readonly lo: number; readonly n: number } | { readonly k: string; readonly n: number };
export type Operand = readonly Segment[];

/** A single PHV bit (a gateway's predicate, a table's hit bit). */
export interface BitRef {
  readonly c: Container;
  readonly bit: number;
}

export interface ParserConfig {
  readonly lookahead_bytes: number;
  readonly start: number;
  readonly states: readonly ParserState[];
}

export interface ParserState {
  readonly id: number;
  /** Absolute packet offset of the state's cursor (documentation; the model follows shifts). */
  readonly cursor: number;
  /** Bytes extracted, relative to the cursor: the state needs cursor + needs bytes of packet or the parser stops. */
  readonly needs: number;
  /** Packet bytes cursor+from.. into container c from its byte `at` (0, the most significant, when absent). */
  readonly extract: readonly { readonly from: number; readonly bytes: number; readonly c: Container; readonly at?: number }[];
  /** The validity bit of the header this state extracts: set when the state runs. */
  readonly valid?: BitRef;
  /** Further extractions, in order, each needing cursor + needs bytes of packet (else the parser stops there). */
  readonly then?: readonly { readonly needs: number; readonly extract: ParserState["extract"]; readonly valid?: BitRef }[];
  /** TCAM rows in priority order over the lookahead window (hex, `lookahead_bytes` bytes). */
  readonly rows: readonly { readonly value: string; readonly mask: string; readonly next: number | "accept"; readonly shift: number }[];
}

export interface PhvConfig {
  readonly containers: { readonly "8": number; readonly "16": number; readonly "32": number };
  /** What each allocated container holds, in container order. */
  readonly allocation: readonly { readonly c: Container; readonly holds: string }[];
  readonly intrinsic: { readonly pkt_len: Operand; readonly ingress_ifindex: Operand; readonly rx_queue_index: Operand };
  readonly verdict: Operand;
  readonly redirect: Operand;
  readonly redirect_valid: BitRef;
}

export type GatewayCond = "eq" | "ugt" | "uge" | "ult" | "ule" | "sgt" | "sge" | "slt" | "sle" | "set" | "len";

export interface Gateway {
  readonly name: string;
  readonly cond: GatewayCond;
  readonly width: number;
  readonly a: Operand;
  readonly b: Operand;
  /** Where the outcome goes (1 = true). */
  readonly out: BitRef;
}

export interface Op {
  /** set: dst = a; the ALU ops: dst = a op b (mod 2^width of dst); hash: bit k of dst = parity of the bits of a that rows[k] selects. */
  readonly op: "set" | "add" | "sub" | "and" | "or" | "xor" | "hash";
  readonly dst: Container;
  readonly a: Operand;
  readonly b?: Operand;
  /** hash: per bit of dst (least significant first), '0'/'1' per bit of a (least significant first). */
  readonly rows?: readonly string[];
}

export interface StatefulOp {
  /**
   * count: element[index] += value; write: element[index] = value; rmw: element[index] =
   * element[index] alu value; read: nothing written; branch: `then` when (old cond value)
   * holds (old: bytes offset..offset+size of the element; `old_right`: value cond old), else
   * `else` (min/max, compare-and-set); direct: the matched entry of `table` += value;
   * insert: a learned entry.
   */
  readonly kind: "count" | "write" | "rmw" | "read" | "branch" | "direct" | "insert";
  /** rmw: the SALU's operation on the old value. */
  readonly alu?: "add" | "sub" | "and" | "or" | "xor";
  /** The memory (a tables/ image) it works on. */
  readonly memory: string;
  readonly index?: Operand;
  readonly key?: Operand;
  readonly table?: string;
  readonly offset: number;
  readonly size: number;
  readonly value: Operand;
  readonly flags?: number;
  /** Register ops: the element's bytes before the update, into the PHV (value byte `byte` into bits lo..lo+7 of c). */
  readonly data?: readonly { readonly byte: number; readonly c: Container; readonly lo: number }[];
  /** insert: where its success bit goes (1 = inserted), when the program tests it. */
  readonly out?: BitRef;
  /** branch: the SALU's comparison of the old value with `value`, on `width` bits, and the operations of either outcome (on the same element). */
  readonly cond?: Exclude<GatewayCond, "len">;
  readonly width?: number;
  readonly old_right?: boolean;
  readonly then?: readonly StatefulOp[];
  readonly else?: readonly StatefulOp[];
}

/**
 * A gateway's predicate over predicate, hit and learned bits: the table applies when one
 * of the rows matches ('0', '1', 'x' per key bit), and is skipped otherwise. Its bits may
 * come from the gateways of the same stage (they evaluate first) or from earlier stages.
 */
export interface When {
  readonly key: readonly BitRef[];
  readonly rows: readonly string[];
}

export interface MatchTableConfig {
  readonly name: string;
  readonly match: "exact" | "ternary" | "direct";
  /** The image in tables/ (shared by logical tables on the same map). */
  readonly memory: string;
  readonly key_bytes: number;
  readonly key: Operand;
  readonly hit: BitRef;
  /** Action data copied on a hit (zeros on a miss): value byte `byte` into bits lo..lo+7 of c. */
  readonly data: readonly { readonly byte: number; readonly c: Container; readonly lo: number }[];
  /** Where the matched entry's address goes, for direct counters. */
  readonly address?: Container;
  /** Applied only under this predicate (absent: on every packet). */
  readonly when?: When;
}

export interface ActionProgram {
  readonly name: string;
  readonly ops: readonly Op[];
  readonly stateful: readonly StatefulOp[];
}

/**
 * A table whose rows select an action program by predicate, hit and learned bits (as a
 * gateway's; the same stage's gateways evaluate first): an action block (one program, rows
 * = its predicate), a stateful ALU's table (a program per kind of access), a keyless
 * compute table (always its default action).
 */
export interface ActionTableConfig {
  readonly name: string;
  /** Ternary key: these bits, matched by `rows[].match` ('0', '1', 'x' per bit, first bit first). */
  readonly key: readonly BitRef[];
  readonly rows: readonly { readonly match: string; readonly action: number }[];
  /** Action when no row matches (keyless tables: always). */
  readonly default_action?: number;
  readonly actions: readonly ActionProgram[];
}

export interface StageConfig {
  readonly stage: number;
  readonly gateways: readonly Gateway[];
  readonly match_tables: readonly MatchTableConfig[];
  readonly action_tables: readonly ActionTableConfig[];
}

/** A deparser header: container bytes emitted, in order, when its validity bit is set. */
export interface DeparserHeaderConfig {
  readonly name: string;
  readonly valid: BitRef;
  readonly emit: readonly { readonly c: Container; readonly byte: number }[];
}

export interface DeparserConfig {
  /** The headers in output order: each emitted when its validity bit is set. */
  readonly headers: readonly DeparserHeaderConfig[];
  /** The PHV field holding the input offset the payload (the rest of the packet) starts at. */
  readonly payload_from: Operand;
}

/** Table images (tables/<memory>.json): the chip's memory contents. */
export type TableImage =
  | { readonly memory: string; readonly kind: "exact"; readonly key_bytes: number; readonly value_bytes: number; readonly ways: number; readonly depth: number; readonly entries: readonly (readonly [way: number, bucket: number, key: string, value: string])[] }
  | { readonly memory: string; readonly kind: "ternary"; readonly key_bytes: number; readonly value_bytes: number; readonly rows: readonly { readonly value: string; readonly mask: string; readonly priority: number; readonly data: string }[] }
  | { readonly memory: string; readonly kind: "register"; readonly value_bytes: number; readonly entries: readonly string[] };

export interface PipelineConfig {
  readonly parser: ParserConfig;
  readonly phv: PhvConfig;
  readonly stages: readonly StageConfig[];
  readonly deparser: DeparserConfig;
}
