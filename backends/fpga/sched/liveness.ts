// Register liveness over a program's control-flow graph, slot by slot (backward dataflow
// to a fixed point). The scheduler hoists an operation above a conditional jump only when
// the register it writes is dead where the jump goes (schedule.ts, "speculation"), so
// every doubt here errs towards "live": a set of registers is a bitmask of r0..r10.
import { branchTarget, formOf, isLddw, type Insn } from "../../../ir/bpf/insn.js";
import { HELPER_SIGS_BY_ID } from "../../../verifier/helpers.js";
import { extForm } from "./ext.js";
import { opInfo } from "./ops.js";

export const ALL_REGS = (1 << 11) - 1;
const mask = (regs: readonly number[]): number => regs.reduce((m, r) => m | (1 << r), 0);
/** RFC 9669 §5.2 (helper calls): arguments r1-r5, result r0, r1-r5 clobbered; r6-r10 kept. */
const HELPER_USE = mask([1, 2, 3, 4, 5, 10]);
const HELPER_DEF = mask([0, 1, 2, 3, 4, 5]);

/** A helper reads only its arguments (verifier/helpers.ts signatures); an unknown one r1-r5. */
function helperUse(id: number): number {
  const sig = HELPER_SIGS_BY_ID.get(id);
  return sig ? mask([...sig.args.map((_, k) => k + 1), 10]) : HELPER_USE;
}

interface Flow {
  readonly use: number;
  readonly def: number;
  readonly succ: readonly number[];
}

/** What one slot uses, defines and where control goes next (a target past the program: -1, everything live). */
function flowOf(slots: readonly Insn[], at: number, localCalls: boolean): Flow {
  const s = slots[at]!;
  const next = at + (isLddw(s) ? 2 : 1);
  const f = formOf(s);
  const inside = (t: number | undefined): number => (t !== undefined && t >= 0 && t < slots.length ? t : -1);
  if (extForm(s)?.kind === "exit_imm") return { use: localCalls ? ALL_REGS & ~1 : 0, def: 1, succ: [] };
  if (!f) return { use: ALL_REGS, def: 0, succ: [inside(next)] };
  switch (f.shape) {
    case "exit":
      // a subprogram's exit returns to a caller that may read any register
      return { use: localCalls ? ALL_REGS : 1, def: 0, succ: [] };
    case "call":
      if (s.src === 0) return { use: helperUse(s.imm), def: HELPER_DEF, succ: [inside(next)] };
      return { use: ALL_REGS, def: 0, succ: [inside(next)] };
    case "ja":
    case "ja32":
      return { use: 0, def: 0, succ: [inside(branchTarget(at, s, f))] };
    case "jmp_imm":
    case "jmp_reg": {
      const i = opInfo({ insn: s, origin: [at] });
      return { use: mask(i.reads), def: 0, succ: [inside(next), inside(branchTarget(at, s, f))] };
    }
    default: {
      const i = opInfo({ insn: s, origin: [at] });
      if (i.terminator === "alone") return { use: ALL_REGS, def: 0, succ: [inside(next)] };
      return { use: mask(i.reads), def: mask(i.writes), succ: [inside(next)] };
    }
  }
}

function flowsOf(slots: readonly Insn[]): Flow[] {
  const localCalls = slots.some((s) => formOf(s)?.shape === "call" && s.src === 1) || slots.some((s) => formOf(s)?.shape === "callx");
  return slots.map((_, at) => flowOf(slots, at, localCalls));
}

/** Registers live on entry to each slot (an lddw's second slot: the same as its first). */
export function liveIn(slots: readonly Insn[]): number[] {
  const flows = flowsOf(slots);
  const live = new Array<number>(slots.length).fill(0);
  for (let changed = true; changed;) {
    changed = false;
    for (let at = slots.length - 1; at >= 0; at--) {
      if (at > 0 && isLddw(slots[at - 1]!)) continue;
      const fl = flows[at]!;
      const out = fl.succ.reduce((m, t) => m | (t < 0 ? ALL_REGS : live[t]!), 0);
      const inn = fl.use | (out & ~fl.def);
      if (inn !== live[at]) {
        live[at] = inn;
        changed = true;
      }
    }
  }
  for (let at = 1; at < slots.length; at++) if (isLddw(slots[at - 1]!)) live[at] = live[at - 1]!;
  return live;
}

/**
 * Registers live after each slot, on every way out of it (`live`: liveIn's answer). An
 * exit has no successor: what it reads stands for what is live after it (r0, or every
 * register when the program has local calls), so a pass that walks a block backwards
 * from its last slot starts from the right set.
 */
export function liveOut(slots: readonly Insn[], live: readonly number[]): number[] {
  return flowsOf(slots).map((fl) => (fl.succ.length === 0 ? fl.use : fl.succ.reduce((m, t) => m | (t < 0 ? ALL_REGS : live[t]!), 0)));
}
