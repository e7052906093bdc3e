// What the scheduler needs to know of one operation (a BPF instruction, an lddw pair or
// a fused extension): the registers it reads and writes, whether only lane 0 can run it,
// whether it touches memory, and how it ends a basic block. docs/fpga-engine.md,
// "Scheduling", has the rules these feed.
import { branchTarget, formOf, isLddw, type Insn } from "../../../ir/bpf/insn.js";
import { extForm, alu3Fields, jccAddFields } from "./ext.js";

export interface Op {
  readonly insn: Insn;
  /** lddw: the second slot (the high half of the constant). */
  readonly hi?: Insn;
  /** Slot indices in the original program: one, or two for a fusion (in program order). */
  readonly origin: readonly number[];
  /**
   * schedule.ts proved it cannot fault where the program has it: a load whose address
   * ptrs.ts proves in bounds there, an lddw of a map handle the object has. Such an
   * operation may run outside lane 0 (LANE_UNITS), where nothing faults.
   */
  readonly proven?: boolean;
  /**
   * The bytes a memory operation touches, when schedule.ts knows them: the stack (r10
   * relative), the packet (data relative) or the value a lookup returned (relative to
   * it); two accesses with different regions or disjoint ranges do not alias.
   */
  readonly access?: Access;
}

/** Bytes [lo, hi) of one region ("stack", "packet", "value:<lookup slot>"). */
export interface Access {
  readonly region: string;
  readonly lo: number;
  readonly hi: number;
}

/** Whether two accesses may touch a common byte (unknown: they may). */
export function mayAlias(a: Access | undefined, b: Access | undefined): boolean {
  if (!a || !b) return true;
  if (a.region !== b.region) return false;
  return a.lo < b.hi && b.lo < a.hi;
}

/**
 * The kinds of slot the lanes tell apart: "alu" (plain ALU ops, the extensions that are
 * register arithmetic), "load" (a load proven in bounds: lane 1 has a second read port of
 * the data and map memories that never faults, so such a load may also be speculated),
 * "lddw" (a constant or a known map handle: two lanes, k and k+1, the second half in k+1),
 * "lane0" (what only lane 0 runs: mul/div/mod, loads not proven, stores, atomics, jumps,
 * calls, exits, an lddw whose handle the engine must check).
 */
export type Unit = "alu" | "load" | "lddw" | "lane0";

/** What each lane of bpf_core.v runs (docs/fpga-engine.md, "Lanes"), lane 0 first. */
export const LANE_UNITS: readonly (readonly Unit[])[] = [
  ["alu", "load", "lddw", "lane0"],   // lane 0: the full pipeline (faults, multi-cycle ops, branches)
  ["alu", "load", "lddw"],            // lane 1: an ALU, the second read port, an lddw's low half
  ["alu", "lddw"],                    // lane 2: an ALU, an lddw's low half (lane 3 the high)
  ["alu"],                            // lane 3: an ALU (an lddw's high half)
];

/** Lanes an operation of `unit` may take on a `lanes`-lane engine (width-2 units: the low lane). */
export function lanesFor(unit: Unit, width: number, lanes: number): number[] {
  const out: number[] = [];
  for (let k = 0; k + width <= lanes; k++) if ((LANE_UNITS[k] ?? LANE_UNITS[LANE_UNITS.length - 1]!).includes(unit)) out.push(k);
  return out;
}

/**
 * How an operation ends its block: "branch" (a jump or a helper call: last in the block,
 * may share its bundle with earlier independent operations; a call reads r1-r5 as the
 * bundle starts), "commit" (an exit: last in the block, may share its bundle with earlier
 * operations and reads r0 after their writes, since bpf_core.v forwards the bundle's own
 * results into the exit's r0), "alone" (a bpf-to-bpf call, a tail call, callx, anything the engine
 * may not be able to run: last, in a bundle of its own, since those save and restore the
 * register file directly or leave the program), or undefined (an ordinary operation).
 */
export type Terminator = "branch" | "commit" | "alone" | undefined;

/** BPF_FUNC_tail_call: it leaves the program (the engine drops its bundle's writes), so it stays alone. */
const TAIL_CALL = 12;
/** Helper arguments (RFC 9669 §5.1: r1-r5); r0 is the result. */
const HELPER_ARGS = [1, 2, 3, 4, 5];

export interface OpInfo {
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  /** Only lane 0 runs it (unit "lane0"). */
  readonly lane0: boolean;
  /** Which lanes can run it (LANE_UNITS). */
  readonly unit: Unit;
  readonly memory: boolean;
  readonly terminator: Terminator;
  /** Bundles from this op's issue until its result can be used without a stall: 1 (loads and atomics forward from the memory stage). */
  readonly latency: number;
  /** Slots it takes in its bundle: lddw takes lane 1 too (its second half). */
  readonly width: number;
  /**
   * Registers no other slot of its bundle may write: an exit from a subprogram restores
   * r6-r10 as it leaves (bpf_core.v), and a slot's write would land after the restore.
   */
  readonly notBeside?: readonly number[];
}

/** What an exit restores in a subprogram (RFC 9669 §2.1: callee-saved r6-r9, and r10). */
const EXIT_RESTORES = [6, 7, 8, 9, 10];

/** ALU operation codes (high nibble >> 4) that need lane 0: mul (one multiplier), div and mod (the divider). */
const LANE0_ALU = new Set([0x2, 0x3, 0x9]);
const MOV = 0xb;

export function opInfo(op: Op): OpInfo {
  const info = opInfoOf(op);
  return { ...info, lane0: info.unit === "lane0" };
}

type BaseInfo = Omit<OpInfo, "lane0">;
const unitOf = (lane0: boolean): Unit => (lane0 ? "lane0" : "alu");

function opInfoOf(op: Op): BaseInfo {
  const s = op.insn;
  const ext = extForm(s);
  if (ext?.kind === "alu3") {
    const a = alu3Fields(s);
    return { reads: a.rt !== undefined ? [a.rs, a.rt] : [a.rs], writes: [a.rd], unit: unitOf(LANE0_ALU.has(a.op)), memory: false, terminator: undefined, latency: 1, width: 1 };
  }
  if (ext?.kind === "exit_imm") return { reads: [], writes: [0], unit: "lane0", memory: false, terminator: "commit", latency: 1, width: 1, notBeside: EXIT_RESTORES };
  // a ctx field comes from registers, in any lane, usable by the next bundle
  if (ext?.kind === "ctx_read") return { reads: [], writes: [s.dst], unit: "alu", memory: false, terminator: undefined, latency: 1, width: 1 };
  // loads forward from the memory stage (docs/fpga-engine.md, "Hazards"): the next bundle may use it
  if (ext?.kind === "ldx_wide") return { reads: [s.src], writes: [s.dst], unit: op.proven ? "load" : "lane0", memory: true, terminator: undefined, latency: 1, width: 1 };
  if (ext?.kind === "stx_wide") return { reads: [s.dst, s.src], writes: [], unit: "lane0", memory: true, terminator: undefined, latency: 1, width: 1 };
  if (ext?.kind === "jcc_add") {
    const j = jccAddFields(s);
    return { reads: [j.ra, j.rb], writes: [], unit: "lane0", memory: false, terminator: "branch", latency: 1, width: 1 };
  }
  const f = formOf(s);
  const base = { reads: [] as number[], writes: [] as number[], unit: "lane0" as Unit, memory: false, terminator: undefined as Terminator, latency: 1, width: 1 };
  if (!f) return { ...base, terminator: "alone" };
  const code = (s.opcode >> 4) & 0xf;
  switch (f.shape) {
    case "alu_imm":
      return { ...base, reads: code === MOV ? [] : [s.dst], writes: [s.dst], unit: unitOf(LANE0_ALU.has(code)) };
    case "alu_reg":
      return { ...base, reads: code === MOV ? [s.src] : [s.dst, s.src], writes: [s.dst], unit: unitOf(LANE0_ALU.has(code)) };
    case "unary":
    case "end":
      return { ...base, reads: [s.dst], writes: [s.dst], unit: "alu" as Unit };
    case "movsx":
      return { ...base, reads: [s.src], writes: [s.dst], unit: "alu" as Unit };
    case "ldx":
      return { ...base, reads: [s.src], writes: [s.dst], unit: op.proven ? "load" : "lane0", memory: true };
    case "st":
      return { ...base, reads: [s.dst], memory: true };
    case "stx":
      return { ...base, reads: [s.dst, s.src], memory: true };
    case "atomic": {
      const fetch = (s.imm & 1) === 1;
      const cmpxchg = (s.imm & 0xff) === 0xf1;
      return { ...base, reads: cmpxchg ? [s.dst, s.src, 0] : [s.dst, s.src], writes: cmpxchg ? [0] : fetch ? [s.src] : [], memory: true, latency: 1 };
    }
    case "lddw":
      // a constant, or a handle proven to name one of the object's maps (lane 0 checks it)
      return { ...base, writes: [s.dst], unit: s.src === 0 || (s.src === 1 && op.proven) ? "lddw" : "lane0", width: 2 };
    case "ja":
    case "ja32":
      return { ...base, terminator: "branch" };
    case "jmp_imm":
      return { ...base, reads: [s.dst], terminator: "branch" };
    case "jmp_reg":
      return { ...base, reads: [s.dst, s.src], terminator: "branch" };
    case "exit":
      return { ...base, reads: [0], terminator: "commit", notBeside: EXIT_RESTORES };
    case "call":
      // a helper by number; bpf-to-bpf calls (src 1), kfuncs and tail calls stay alone
      if (s.src === 0 && s.imm !== TAIL_CALL) return { ...base, reads: HELPER_ARGS, writes: [0], terminator: "branch" };
      return { ...base, terminator: "alone" };
    default:
      // callx, ldabs/ldind: in a bundle of their own
      return { ...base, terminator: "alone" };
  }
}

/** The operations of a program's slots in order: lddw pairs joined, nothing fused yet. */
export function opsOf(slots: readonly Insn[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (isLddw(s) && i + 1 < slots.length) {
      out.push({ insn: s, hi: slots[i + 1]!, origin: [i] });
      i++;
    } else out.push({ insn: s, origin: [i] });
  }
  return out;
}

/**
 * The slot an operation jumps or calls to, or undefined: counted from its last origin (a
 * fused bounds-check jump carries the add's slot and then the jump's), as re-targeting does.
 */
export function opTarget(op: { readonly insn: Insn; readonly origin: readonly number[] }): number | undefined {
  if (op.origin.length === 0) return undefined;
  const at = op.origin[op.origin.length - 1]!;
  if (extForm(op.insn)?.kind === "jcc_add") return at + 1 + op.insn.off;
  const f = formOf(op.insn);
  return f ? branchTarget(at, op.insn, f) : undefined;
}
