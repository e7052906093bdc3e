// Control-flow recovery over BPF slots: functions (the entry and every local-call target),
// their basic blocks, and each block's successors.
import { branchTarget, formOf, isLddw, type Insn } from "../bpf/insn.js";

export interface BpfBlock {
  /** First and one-past-last slot. */
  readonly start: number;
  readonly end: number;
  readonly succs: readonly number[];
}

export interface BpfFunction {
  readonly entry: number;
  /** Blocks by start slot, in slot order. */
  readonly blocks: readonly BpfBlock[];
  /** Slot 0 of the function is also a branch target (a loop back to the start). */
  readonly entryIsTarget: boolean;
}

function slotSize(s: Insn): number {
  return isLddw(s) ? 2 : 1;
}

/** The function entries: slot 0 and every `call local` target, in slot order. */
export function functionEntries(slots: readonly Insn[]): number[] {
  const entries = new Set([0]);
  for (let i = 0; i < slots.length; i += slotSize(slots[i]!)) {
    const f = formOf(slots[i]!);
    if (f?.shape === "call" && f.fixed.src === 1) entries.add(branchTarget(i, slots[i]!, f)!);
  }
  return [...entries].sort((a, b) => a - b);
}

/** The blocks of the function starting at `entry`: every slot reachable without following calls. */
export function recoverFunction(slots: readonly Insn[], entry: number): BpfFunction {
  // Pass 1: reachable instructions and leaders.
  const reached = new Set<number>();
  const leaders = new Set([entry]);
  const targets = new Set<number>();
  const work = [entry];
  while (work.length) {
    let i = work.pop()!;
    while (!reached.has(i) && i < slots.length) {
      reached.add(i);
      const s = slots[i]!;
      const f = formOf(s)!;
      const next = i + slotSize(s);
      if (f.shape === "exit") break;
      if (f.shape === "ja" || f.shape === "ja32") {
        const t = branchTarget(i, s, f)!;
        leaders.add(t);
        targets.add(t);
        work.push(t);
        break;
      }
      if (f.shape === "jmp_imm" || f.shape === "jmp_reg") {
        const t = branchTarget(i, s, f)!;
        leaders.add(t);
        targets.add(t);
        leaders.add(next);
        work.push(t);
      }
      i = next;
    }
  }
  const starts = [...leaders].filter((l) => reached.has(l)).sort((a, b) => a - b);
  const blocks: BpfBlock[] = starts.map((start) => {
    let i = start;
    for (;;) {
      const s = slots[i]!;
      const f = formOf(s)!;
      const next = i + slotSize(s);
      if (f.shape === "exit") return { start, end: next, succs: [] };
      if (f.shape === "ja" || f.shape === "ja32") return { start, end: next, succs: [branchTarget(i, s, f)!] };
      if (f.shape === "jmp_imm" || f.shape === "jmp_reg") return { start, end: next, succs: [branchTarget(i, s, f)!, next] };
      if (leaders.has(next)) return { start, end: next, succs: [next] };
      i = next;
    }
  });
  return { entry, blocks, entryIsTarget: targets.has(entry) };
}
