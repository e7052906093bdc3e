// One sample instruction per form of the FORMS table, for cross-checks that must cover
// every form (objdump, round trips). Operands are chosen to exercise signs and widths.
import { FORMS, type Form } from "../../../ir/bpf/opcodes.js";
import { insn, lddwSlots, type Insn } from "../../../ir/bpf/insn.js";

export function sampleSlots(f: Form): Insn[] {
  const off = f.fixed.off ?? 0;
  const imm = f.fixed.imm ?? 0;
  switch (f.shape) {
    case "alu_imm": return [insn(f.opcode, 1, 0, off, -7)];
    case "alu_reg": return [insn(f.opcode, 2, 3, off, 0)];
    case "unary": return [insn(f.opcode, 4)];
    case "movsx": return [insn(f.opcode, 5, 6, off, 0)];
    case "end": return [insn(f.opcode, 7, 0, 0, imm)];
    case "ldx": return [insn(f.opcode, 0, 1, 6, 0)];
    case "st": return [insn(f.opcode, 10, 0, -8, 300)];
    case "stx": return [insn(f.opcode, 10, 1, -16, 0)];
    case "atomic": return [insn(f.opcode, 10, 2, -24, imm)];
    case "lddw": return f.fixed.src === 0 ? lddwSlots(3, 0x1122334455667788n) : [];
    case "ldabs": return [insn(f.opcode, 0, 0, 0, 12)];
    case "ldind": return [insn(f.opcode, 0, 6, 0, 14)];
    case "ja": return [insn(f.opcode, 0, 0, 1, 0)];
    case "ja32": return [insn(f.opcode, 0, 0, 0, 1)];
    case "jmp_imm": return [insn(f.opcode, 1, 0, 1, -5)];
    case "jmp_reg": return [insn(f.opcode, 1, 2, 1, 0)];
    case "call": return f.fixed.src === 0 ? [insn(f.opcode, 0, 0, 0, 1)] : f.fixed.src === 1 ? [insn(f.opcode, 0, 1, 0, 0)] : [];
    case "callx": return [insn(f.opcode, 3)];
    case "exit": return [insn(f.opcode)];
  }
}

/** Every form with a sample (lddw pseudo sources and kfunc calls need an object context). */
export const SAMPLES: { form: Form; slots: Insn[] }[] = FORMS.map((form) => ({ form, slots: sampleSlots(form) })).filter((s) => s.slots.length > 0);
