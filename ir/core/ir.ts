// bpfoff's IR: typed SSA over a control-flow graph, with block parameters instead of phi
// nodes (as Cranelift and MLIR do), so that a branch names the values it passes. Every
// frontend lowers into it and every backend reads it; the opcode table in ops.ts says
// what each instruction takes and gives.
//
// Design choices for the targets to come:
//   - Scalars are 64-bit (i64), as in BPF; 32-bit operations are separate opcodes
//     (`add32`) whose result is zero-extended, so a 32-bit NPU sees which values need
//     only one word, and BPF lifts one to one.
//   - Every memory access names its region (packet, ctx, stack, map_value, global, mem):
//     an FPGA or ASIC backend maps regions to distinct memories without alias analysis.
//   - Packet bounds checks are instructions (`packet.check %p, %end, 14` is p + 14 <= end),
//     so hardware can do them in logic and a pass can drop the implied ones.
//   - Map operations and P4 table applies are instructions, not helper calls.
//   - Loops stay loops (back edges) until a pass unrolls them for a target without them.
import type { MapDef } from "../../runtime/maps/def.js";

export const REGIONS = ["packet", "ctx", "stack", "map_value", "global", "mem", "any"] as const;
export type Region = (typeof REGIONS)[number];

/** i1 is a condition; i64 a scalar; ptr.R a pointer into region R; map a map reference. */
export type Type = "i1" | "i64" | "map" | `ptr.${Region}`;

export function isType(s: string): s is Type {
  return s === "i1" || s === "i64" || s === "map" || (s.startsWith("ptr.") && (REGIONS as readonly string[]).includes(s.slice(4)));
}

/** An operand: an SSA value, an integer immediate, a symbol (@map, @function), or a word (region, field, match kind). */
export type Arg = { readonly kind: "value"; readonly id: number } | { readonly kind: "imm"; readonly value: bigint } | { readonly kind: "sym"; readonly name: string } | { readonly kind: "word"; readonly word: string };

export const val = (id: number): Arg => ({ kind: "value", id });
export const imm = (value: bigint | number): Arg => ({ kind: "imm", value: BigInt(value) });
export const sym = (name: string): Arg => ({ kind: "sym", name });
export const word = (w: string): Arg => ({ kind: "word", word: w });

export interface Inst {
  /** Result value id, when the opcode gives one. */
  readonly result?: number;
  readonly type?: Type;
  /** Opcode with its modifiers, e.g. "add32", "load.u16", "icmp.ugt". */
  readonly op: string;
  readonly args: readonly Arg[];
  /**
   * The BPF instruction it came from: its slot index in the program the module was lifted
   * from (ir/lift sets it; passes keep it, and what a pass makes takes the origin of what it
   * replaces). Not part of the IR text: the printer, the parser and validate ignore it, so
   * frontend-made IR (C, P4) simply has none.
   */
  readonly origin?: number;
}

export interface BlockCall {
  readonly block: string;
  readonly args: readonly Arg[];
}

/**
 * A block's last instruction. `origin`, as on Inst: the BPF jump or exit it came from (ir/lift
 * sets it; a fall-through has none), kept by the passes that rebuild terminators
 * (`...originOf(t)`), ignored by the printer, the parser and validate.
 */
export type Terminator = (
  | { readonly op: "br"; readonly to: BlockCall }
  | { readonly op: "br_if"; readonly cond: Arg; readonly then: BlockCall; readonly else: BlockCall }
  | { readonly op: "ret"; readonly value: Arg }
  | { readonly op: "unreachable" }
) & { readonly origin?: number };

export interface Param {
  readonly id: number;
  readonly type: Type;
}

export interface Block {
  readonly name: string;
  readonly params: readonly Param[];
  readonly insts: readonly Inst[];
  readonly term: Terminator;
}

/** A function: its first block is the entry, whose parameters are the function's. */
export interface Func {
  readonly name: string;
  readonly blocks: readonly Block[];
}

export interface Module {
  /** Program type of the entry function. */
  readonly type: "xdp" | "raw";
  readonly maps: readonly MapDef[];
  /** The first function is the entry point. */
  readonly funcs: readonly Func[];
}

/** Successor calls of a terminator. */
export function successors(t: Terminator): BlockCall[] {
  switch (t.op) {
    case "br":
      return [t.to];
    case "br_if":
      return [t.then, t.else];
    default:
      return [];
  }
}

/** Values an instruction or terminator reads. */
export function usesOf(x: Inst | Terminator): number[] {
  const args: Arg[] = "args" in x ? [...x.args] : x.op === "br" ? [...x.to.args] : x.op === "br_if" ? [x.cond, ...x.then.args, ...x.else.args] : x.op === "ret" ? [x.value] : [];
  return args.flatMap((a) => (a.kind === "value" ? [a.id] : []));
}

/** The largest value id used in a function, for passes that make new values. */
export function maxValueId(f: Func): number {
  let m = -1;
  for (const b of f.blocks) {
    for (const p of b.params) m = Math.max(m, p.id);
    for (const i of b.insts) if (i.result !== undefined) m = Math.max(m, i.result);
  }
  return m;
}

/** The origin of an instruction or terminator as a spreadable field, for a pass that makes one in its place. */
export function originOf(i: { readonly origin?: number } | undefined): { origin?: number } {
  return i?.origin === undefined ? {} : { origin: i.origin };
}
