// The control-flow checks the kernel makes before abstract interpretation (check_cfg):
// every jump and local call lands inside the program and not on the second slot of an
// lddw, no path runs off the end, and every instruction is reachable from the entry.
// Also computes the prune points: where the driver records states to compare against.
import { branchTarget, formOf, type Insn } from "../ir/bpf/insn.js";
import type { Form } from "../ir/bpf/opcodes.js";

export interface CfgProblem {
  readonly insn: number;
  readonly reason: string;
  readonly code: "verify-cfg" | "verify-unreachable";
}

export interface Cfg {
  readonly forms: readonly (Form | undefined)[];
  /** Jump targets, fall-throughs of conditional jumps and function entries. */
  readonly prunePoints: ReadonlySet<number>;
  readonly problem?: CfgProblem;
}

export function checkCfg(slots: readonly Insn[]): Cfg {
  const n = slots.length;
  const forms: (Form | undefined)[] = new Array<Form | undefined>(n).fill(undefined);
  const second = new Set<number>();
  for (let i = 0; i < n; i++) {
    forms[i] = formOf(slots[i]!);
    if (forms[i]?.shape === "lddw") second.add(++i);
  }
  const prunePoints = new Set<number>();
  const fail = (insn: number, reason: string, code: CfgProblem["code"] = "verify-cfg"): Cfg => ({ forms, prunePoints, problem: { insn, reason, code } });
  if (n === 0) return fail(0, "the program has no instructions");
  const seen = new Uint8Array(n);
  const work = [0];
  seen[0] = 1;
  while (work.length) {
    const i = work.pop()!;
    const f = forms[i];
    if (!f) return fail(i, `invalid instruction opcode 0x${slots[i]!.opcode.toString(16)}`);
    const succ: number[] = [];
    const target = branchTarget(i, slots[i]!, f);
    switch (f.shape) {
      case "exit":
        break;
      case "ja":
      case "ja32":
        succ.push(target!);
        prunePoints.add(target!);
        break;
      case "jmp_imm":
      case "jmp_reg":
        succ.push(target!, i + 1);
        prunePoints.add(target!);
        prunePoints.add(i + 1);
        break;
      case "call":
        if (target !== undefined) {
          succ.push(target);
          prunePoints.add(target);
        }
        succ.push(i + 1);
        break;
      case "lddw":
        // lddw of a code address (src 4, bpf_loop callbacks): the callee is reachable.
        if (slots[i]!.src === 4) succ.push(i + 1 + slots[i]!.imm);
        succ.push(i + 2);
        break;
      default:
        succ.push(i + 1);
    }
    for (const t of succ) {
      if (t < 0 || t >= n) {
        if (t === n && f.shape !== "ja" && f.shape !== "ja32" && t !== target) return fail(i, `the last instruction falls through: insn ${i} is not an exit or jump`);
        return fail(i, `jump out of range from insn ${i} to ${t}`);
      }
      if (second.has(t)) return fail(i, `jump from insn ${i} into the middle of the lddw at insn ${t - 1}`);
      if (!seen[t]) {
        seen[t] = 1;
        work.push(t);
      }
    }
  }
  for (let i = 0; i < n; i++) if (!seen[i] && !second.has(i)) return fail(i, `unreachable insn ${i}`, "verify-unreachable");
  return { forms, prunePoints };
}
