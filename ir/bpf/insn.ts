// One BPF instruction slot, as RFC 9669 §3 lays it out: opcode, dst and src registers,
// a signed 16-bit offset and a signed 32-bit immediate. A program is an array of slots;
// lddw takes two (the second slot's imm is the high half of the constant), and every
// instruction index in bpfoff is a slot index, as in the kernel's verifier log.
import { CLASS, FORMS_BY_OPCODE, MODE, SIZE, type Form } from "./opcodes.js";

export interface Insn {
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  /** Signed 16-bit. */
  readonly off: number;
  /** Signed 32-bit. */
  readonly imm: number;
}

export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode, dst, src, off, imm };
}

export const LDDW_OPCODE = CLASS.LD | MODE.IMM | SIZE.DW;

export function isLddw(i: Insn): boolean {
  return i.opcode === LDDW_OPCODE;
}

/** The 64-bit constant of an lddw pair, as an unsigned bigint. */
export function lddwValue(lo: Insn, hi: Insn): bigint {
  return (BigInt(hi.imm >>> 0) << 32n) | BigInt(lo.imm >>> 0);
}

/** The two slots of `lddw dst, value`. */
export function lddwSlots(dst: number, value: bigint, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, value);
  return [insn(LDDW_OPCODE, dst, src, 0, Number(BigInt.asIntN(32, v & 0xffffffffn))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
}

/**
 * The form of one slot: the row of FORMS whose opcode and fixed fields it matches.
 * undefined when no row matches (the codec's validation says why).
 */
export function formOf(i: Insn): Form | undefined {
  const candidates = FORMS_BY_OPCODE.get(i.opcode);
  if (!candidates) return undefined;
  return candidates.find((f) => Object.entries(f.fixed).every(([k, v]) => i[k as keyof Insn] === v));
}

/** Slot index of the target of a jump or local call at index `at`, or undefined. */
export function branchTarget(at: number, i: Insn, form: Form): number | undefined {
  switch (form.shape) {
    case "ja":
    case "jmp_imm":
    case "jmp_reg":
      return at + 1 + i.off;
    case "ja32":
      return at + 1 + i.imm;
    case "call":
      return form.fixed.src === 1 ? at + 1 + i.imm : undefined;
    default:
      return undefined;
  }
}
