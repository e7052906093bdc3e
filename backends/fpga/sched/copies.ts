// Copy propagation inside a block, before the DAG: after `mov64 X, Y` (and while neither
// X nor Y is written again in the block), an operation that only reads X reads Y instead.
// The value is the same, so the meaning is; but the reader no longer depends on the copy
// and can share its bundle (`mov %r1, %r0; jne %r1, 0, L` after a helper call: the jump
// tests r0 in the copy's bundle). Only pure register reads are rewritten (never a
// register the operation also writes, nor the implicit operands of calls, exits and
// atomics); mov32 copies are not copies (they zero-extend).
import { formOf, type Insn } from "../../../ir/bpf/insn.js";
import { alu3Fields, extForm } from "./ext.js";
import { opInfo, type Op } from "./ops.js";

const MOV64_REG = 0xbf;

function rewrite(s: Insn, sub: (r: number) => number): Insn {
  const ext = extForm(s);
  if (ext?.kind === "alu3") {
    const a = alu3Fields(s);
    return { ...s, src: sub(a.rs), off: a.rt === undefined ? s.off : (s.off & ~0xf0) | (sub(a.rt) << 4) };
  }
  if (ext?.kind === "ldx_wide") return s.dst === s.src ? s : { ...s, src: sub(s.src) };
  if (ext?.kind === "jcc_add" || ext?.kind === "stx_wide") return { ...s, dst: sub(s.dst), src: sub(s.src) };
  if (ext) return s;
  switch (formOf(s)?.shape) {
    case "alu_reg":
    case "movsx":
    case "ldx":
      return s.dst === s.src ? s : { ...s, src: sub(s.src) };
    case "st":
    case "jmp_imm":
      return { ...s, dst: sub(s.dst) };
    case "stx":
    case "jmp_reg":
      return { ...s, dst: sub(s.dst), src: sub(s.src) };
    default:
      return s;
  }
}

export function propagateCopies(ops: readonly Op[]): Op[] {
  const copyOf = new Map<number, number>();
  return ops.map((op) => {
    const insn = op.hi ? op.insn : rewrite(op.insn, (r) => copyOf.get(r) ?? r);
    for (const w of opInfo({ ...op, insn }).writes) {
      copyOf.delete(w);
      for (const [x, y] of copyOf) if (y === w) copyOf.delete(x);
    }
    if (insn.opcode === MOV64_REG && insn.off === 0 && insn.dst !== insn.src) copyOf.set(insn.dst, insn.src);
    return insn === op.insn ? op : { ...op, insn };
  });
}
