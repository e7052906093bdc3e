// The verifier log, in the spirit of the kernel's (`bpftool prog load ... -d` shows it):
// one line per instruction processed with the registers it wrote, `from A to B:` when a
// pending branch is resumed, `safe` where a state is pruned, and the reason at the end.
import type { Insn } from "../ir/bpf/insn.js";
import { printUbpf } from "../ir/bpf/print.js";
import type { MapDef } from "../runtime/maps/def.js";
import { formatRegs, top, type State } from "./state.js";
import { formatReg, type Reg } from "./types.js";

export class VerifierLog {
  private readonly lines: string[] = [];
  constructor(
    private readonly slots: readonly Insn[],
    private readonly maps: readonly MapDef[],
    private readonly mapNames: readonly string[],
  ) {}

  insnText(pc: number): string {
    return printUbpf(this.slots[pc]!, this.slots[pc + 1], pc, { mapNames: this.mapNames });
  }

  /** `pc: text ; R0=...` with the registers the instruction changed (all of them after a call or return). */
  step(pc: number, before: readonly Reg[], depthBefore: number, after: State | undefined): void {
    const text = `${pc}: ${this.insnText(pc)}`;
    if (!after || after.frames.length !== depthBefore) {
      this.lines.push(after ? `${text.padEnd(40)} ; ${formatRegs(after, this.maps)}` : text);
      return;
    }
    const b = before;
    const a = top(after).regs;
    const changed = a.map((r, i) => (r !== b[i] && r.k !== "not_init" ? `R${i}=${formatReg(r, this.maps)}` : "")).filter(Boolean);
    this.lines.push(changed.length ? `${text.padEnd(40)} ; ${changed.join(" ")}` : text);
  }

  resume(from: number, to: number, st: State): void {
    this.lines.push(`from ${from} to ${to}: ${formatRegs(st, this.maps)}`);
  }

  line(text: string): void {
    this.lines.push(text);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}
