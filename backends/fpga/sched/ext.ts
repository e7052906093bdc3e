// The engine's ISA extensions (docs/fpga-engine.md, "ISA extensions"): opcodes RFC 9669
// leaves unused, each the fusion of a BPF instruction pair the scheduler finds
// (fuse.ts), each with exactly the meaning of the pair it replaces. The table is data:
// the scheduler, the disassembler, the bundle interpreter (interp.ts) and the retired
// count (a fused slot retires the instructions it replaces) all read it. bpf_core.v
// decodes the same opcodes.
import { ALU_OPS } from "../../../ir/bpf/opcodes.js";
import { formOf, type Insn } from "../../../ir/bpf/insn.js";
import { printUbpf } from "../../../ir/bpf/print.js";
import type { AluOp } from "../../../runtime/interp/alu.js";

export type ExtKind = "alu3" | "exit_imm";

export interface ExtForm {
  readonly kind: ExtKind;
  readonly opcode: number;
  readonly is32: boolean;
  /** alu3: the third operand is a register (off[7:4]) rather than imm. */
  readonly reg: boolean;
  /** BPF instructions one slot of this form retires. */
  readonly weight: number;
  readonly why: string;
}

/**
 * ALU code 0xe is unused by RFC 9669 §4.1 (0xd is `end`, 0xf nothing), and JMP code 0x9
 * (exit) is defined with source K only, so X is free.
 */
export const EXT_FORMS: readonly ExtForm[] = [
  { kind: "alu3", opcode: 0xe4, is32: true, reg: false, weight: 2, why: "rd = rs op32 imm: mov{32,64} rd, rs; op32 rd, imm" },
  { kind: "alu3", opcode: 0xec, is32: true, reg: true, weight: 2, why: "rd = rs op32 rt: mov{32,64} rd, rs; op32 rd, rt" },
  { kind: "alu3", opcode: 0xe7, is32: false, reg: false, weight: 2, why: "rd = rs op64 imm: mov64 rd, rs; op64 rd, imm" },
  { kind: "alu3", opcode: 0xef, is32: false, reg: true, weight: 2, why: "rd = rs op64 rt: mov64 rd, rs; op64 rd, rt" },
  // off 0: r0 = imm sign-extended (mov64 r0, imm); off 1: r0 = imm zero-extended (mov32 r0, imm)
  { kind: "exit_imm", opcode: 0x9d, is32: false, reg: false, weight: 2, why: "exit with r0 = imm: mov r0, imm; exit" },
];

const EXT_BY_OPCODE = new Map(EXT_FORMS.map((f) => [f.opcode, f]));

export function extForm(s: Insn): ExtForm | undefined {
  return EXT_BY_OPCODE.get(s.opcode);
}

/** ALU operation codes (high nibble) an alu3 slot may carry in off[3:0]: not div/mod (the divider), end, mov. */
export const ALU3_OPS: ReadonlySet<number> = new Set([0x0, 0x1, 0x2, 0x4, 0x5, 0x6, 0x7, 0x8, 0xa, 0xc]);

export function alu3(is32: boolean, op: number, rd: number, rs: number, b: { reg: number } | { imm: number }): Insn {
  const reg = "reg" in b;
  const opcode = EXT_FORMS.find((f) => f.kind === "alu3" && f.is32 === is32 && f.reg === reg)!.opcode;
  return { opcode, dst: rd, src: rs, off: op | (reg ? b.reg << 4 : 0), imm: reg ? 0 : b.imm };
}

export function exitImm(imm: number, zext32: boolean): Insn {
  return { opcode: 0x9d, dst: 0, src: 0, off: zext32 ? 1 : 0, imm };
}

/** An alu3 slot's fields. */
export function alu3Fields(s: Insn): { op: number; name: AluOp; rd: number; rs: number; rt?: number; imm: number; is32: boolean } {
  const f = extForm(s)!;
  const op = s.off & 0xf;
  const name = ALU_OPS.find((a) => a.code === op << 4)!.name as AluOp;
  return { op, name, rd: s.dst, rs: s.src, ...(f.reg ? { rt: (s.off >> 4) & 0xf } : {}), imm: s.imm, is32: f.is32 };
}

/** BPF instructions a slot retires: 2 for a fusion, 0 for an empty slot, else 1. */
export function slotWeight(s: Insn | undefined): number {
  if (!s) return 0;
  return extForm(s)?.weight ?? 1;
}

/** One slot as text: extensions in the engine's own syntax, the rest as the BPF disassembler prints them. */
export function disasmSlot(s: Insn, next?: Insn): string {
  const f = extForm(s);
  if (!f) return formOf(s) ? printUbpf(s, next, 0) : `.slot 0x${s.opcode.toString(16).padStart(2, "0")}`;
  if (f.kind === "exit_imm") return `exit ${s.off === 1 ? `${s.imm >>> 0} (32)` : s.imm}`;
  const a = alu3Fields(s);
  const suffix = a.is32 ? "32" : "";
  if (a.name === "neg") return `neg${suffix} %r${a.rd}, %r${a.rs}`;
  return `${a.name}${suffix} %r${a.rd}, %r${a.rs}, ${a.rt !== undefined ? `%r${a.rt}` : a.imm}`;
}
