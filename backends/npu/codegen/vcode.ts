// VCode: microwords over virtual registers, between instruction selection (isel.ts) and
// register allocation (regalloc.ts). A virtual register holds one 32-bit word; a 64-bit
// IR value is two of them, a value proven to fit in 32 bits one. Labels are instructions
// so that the allocator sees the control flow; branch targets are label names.
import { OP_BY_NAME, SA, SH_SA, type Format, type Operand } from "../isa.js";

/** A word operand: a virtual register or a fixed physical one (transfer registers, sa, FP, link). */
export type Loc = { readonly k: "v"; readonly v: number } | { readonly k: "p"; readonly op: Operand };

export interface VInst {
  op: string;
  dst?: Loc;
  a?: Loc;
  b?: Loc;
  /** b-side immediate (bimm): the 16-bit field and its modifiers. */
  imm?: { readonly imm: number; readonly ihi: boolean; readonly inv: boolean };
  /** Raw imm16 field (offsets, helper numbers, masks, lookup flags, immw1's half). */
  field?: number;
  sh?: number;
  cond?: number;
  size?: number;
  xfer?: number;
  sig?: number;
  swap?: boolean;
  /** Issue in packet order (codegen/ordering.ts). */
  ord?: boolean;
  /** lkp.lookup: a found key releases packet order (isa.ts `rel`, codegen/ordering.ts releasesOnHit). */
  rel?: boolean;
  /** Branch target (br, bl) or the label this pseudo-instruction defines ("label"). */
  label?: string;
  /** The immediate is the caller's frame size, known after allocation (calls). */
  frameDelta?: boolean;
  /** Memory commands: the IR region class they touch ("any" when unknown), for sched.ts. */
  region?: string;
  /** What the word was selected for, for the listing. */
  note?: string;
  /** The BPF slot its IR instruction came from (ir/core/ir.ts Inst.origin), for the listing. */
  origin?: number;
}

/**
 * What a word made for no BPF instruction says it is: its listing note starts with one of
 * these. Every other word of a lifted program names the BPF instruction it came from
 * (VInst.origin); the listing test holds every example to that.
 */
export const UNSOURCED_TAGS = [
  "prologue", // the entry's frame pointer and arguments; a callee's link save and argument reads
  "epilogue", // a return whose IR has no BPF exit behind it
  "edge", // a fall-through's block-parameter moves and jump: no BPF jump made them
  "spill", // the allocator's stores to local memory
  "reload", // ... and loads back
  "bank move", // an operand moved to the bank the ALU reads it from
  "no ordered command follows", // ordx (codegen/ordering.ts)
  "unreachable", // the end of a block the IR marks unreachable
  "tail-call table", // an image with tail calls: the dispatch word and one branch per program
] as const;

export const formatOf = (op: string): Format | "label" => (op === "label" ? "label" : OP_BY_NAME.get(op)!.format);

/** Virtual and physical registers an instruction reads. */
export function usesOf(i: VInst): Loc[] {
  const f = formatOf(i.op);
  const out: Loc[] = [];
  const add = (l: Loc | undefined) => { if (l) out.push(l); };
  switch (f) {
    case "alu": add(i.a); if (!i.imm) add(i.b); break;
    case "mov": if (i.op === "mova") add(i.a); else if (!i.imm) add(i.b); break;
    case "imm": add(i.dst); break;
    case "un": case "rtn": case "mem": case "atom": add(i.a); break;
    // A shift by `sa` reads the shift-amount register: the scheduler must keep it after the word that sets sa.
    case "sh": add(i.a); if (i.sh === SH_SA) add({ k: "p", op: SA }); break;
    case "dsh": add(i.a); add(i.b); if (i.sh === SH_SA) add({ k: "p", op: SA }); break;
    // update reads the value address from b, tail the index's high word.
    case "lkp": add(i.a); if (i.cond === 1 || i.cond === 4) add(i.b); break;
    default: break;
  }
  return out;
}

/** Registers an instruction writes (transfer registers written by commands are not tracked: they are fixed). */
export function defsOf(i: VInst): Loc[] {
  const f = formatOf(i.op);
  if (["alu", "mov", "imm", "sh", "dsh", "un", "bl"].includes(f) && i.dst) return [i.dst];
  return [];
}

/** Sets the condition codes (ALU) or reads them (carry chains and branches). */
export const setsFlags = (i: VInst): boolean => formatOf(i.op) === "alu";
export const readsFlags = (i: VInst): boolean => ["addc", "subc", "rsubc"].includes(i.op) || (i.op === "br" && i.cond !== 0);

export interface VFunc {
  readonly name: string;
  readonly insts: VInst[];
  /** Number of virtual registers. */
  readonly vregs: number;
}
