// The engine's ISA extensions (docs/fpga-engine.md, "ISA extensions"): opcodes RFC 9669
// leaves unused, each the fusion of a BPF instruction pair the scheduler finds
// (fuse.ts), each with exactly the meaning of the pair it replaces. The table is data:
// the scheduler, the disassembler, the bundle interpreter (interp.ts) and the retired
// count (a fused slot retires the instructions it replaces) all read it. bpf_core.v
// decodes the same opcodes.
import { ALU_OPS, JMP_OPS } from "../../../ir/bpf/opcodes.js";
import { formOf, type Insn } from "../../../ir/bpf/insn.js";
import { printUbpf } from "../../../ir/bpf/print.js";
import type { AluOp } from "../../../runtime/interp/alu.js";

export type ExtKind = "alu3" | "exit_imm" | "ctx_read" | "ldx_wide" | "stx_wide" | "jcc_add";

export interface ExtForm {
  readonly kind: ExtKind;
  readonly opcode: number;
  readonly is32: boolean;
  /** alu3: the third operand is a register (off[7:4]) rather than imm. */
  readonly reg: boolean;
  /** BPF instructions one slot of this form retires (the forms that fold a variable number carry it in imm: `slotWeight`). */
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
  // ALU64 code 0xf is unused: rd = the xdp_md field at byte imm, read from the engine's
  // packet-pointer/metadata registers (no memory access, any lane, no load-use bubble)
  { kind: "ctx_read", opcode: 0xf7, is32: false, reg: false, weight: 1, why: "rd = ctx field: ldxw rd, [ctx+imm] where the base is statically the xdp_md pointer" },
  // LDX mode 7 (0xe0) is unused: a load of 2, 4 or 8 bytes that stands for the byte loads,
  // shifts and ors assembling it; imm[0] = 1: byte-swapped (the bytes assembled big-endian),
  // imm[15:8] = the instructions it retires
  { kind: "ldx_wide", opcode: 0xe9, is32: false, reg: false, weight: 0, why: "rd = 2 packet bytes (LE or BE) assembled by ldxb/lsh/or" },
  { kind: "ldx_wide", opcode: 0xe1, is32: false, reg: false, weight: 0, why: "rd = 4 packet bytes (LE or BE) assembled by ldxb/lsh/or" },
  { kind: "ldx_wide", opcode: 0xf9, is32: false, reg: false, weight: 0, why: "rd = 8 packet bytes (LE or BE) assembled by ldxb/lsh/or" },
  // size B of mode 7 means 6 bytes (hXDP's 6-byte loads and stores: MAC addresses), LE only
  { kind: "ldx_wide", opcode: 0xf1, is32: false, reg: false, weight: 0, why: "rd = 6 bytes: the loads of a byte-by-byte copy" },
  // STX mode 7: store the low n bytes of src (n = 2, 4, 6, 8), imm[15:8] the instructions it retires
  { kind: "stx_wide", opcode: 0xeb, is32: false, reg: false, weight: 0, why: "2 bytes: the stores of a byte-by-byte copy" },
  { kind: "stx_wide", opcode: 0xe3, is32: false, reg: false, weight: 0, why: "4 bytes: the stores of a byte-by-byte copy" },
  { kind: "stx_wide", opcode: 0xf3, is32: false, reg: false, weight: 0, why: "6 bytes: the stores of a byte-by-byte copy (a MAC address)" },
  { kind: "stx_wide", opcode: 0xfb, is32: false, reg: false, weight: 0, why: "8 bytes: the stores of a byte-by-byte copy" },
  // JMP code 0xe is unused: if (rA + imm[23:0]) CC rB goto off; imm[31:28] the jump code
  // CC, imm[27:24] the instructions it retires (1, or 2-3 when the add folded in is dead)
  { kind: "jcc_add", opcode: 0xed, is32: false, reg: true, weight: 0, why: "bounds check: rX = rA + imm; jCC rX, rB" },
  { kind: "jcc_add", opcode: 0xee, is32: true, reg: true, weight: 0, why: "bounds check: rX = rA + imm; jCC32 rX, rB" },
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

/** The xdp_md fields a ctx_read may name (byte offsets, 4-byte loads: the engine's ctx window). */
export const CTX_FIELDS: ReadonlyMap<number, string> = new Map([
  [0, "data"], [4, "data_end"], [8, "data_meta"], [12, "ingress_ifindex"], [16, "rx_queue_index"], [20, "egress_ifindex"],
]);

export function ctxRead(rd: number, field: number): Insn {
  return { opcode: 0xf7, dst: rd, src: 0, off: 0, imm: field };
}

/** Load widths a combined load may have, and their opcodes (LDX mode 7 with the size code). */
const WIDE_OPCODE: Readonly<Record<number, number>> = { 2: 0xe9, 4: 0xe1, 6: 0xf1, 8: 0xf9 };
const WIDE_BYTES: Readonly<Record<number, number>> = { 0xe9: 2, 0xe1: 4, 0xf1: 6, 0xf9: 8, 0xeb: 2, 0xe3: 4, 0xf3: 6, 0xfb: 8 };

/** Most instructions one wide load may stand for (imm[15:8]). */
export const WIDE_MAX_WEIGHT = 255;

export function ldxWide(bytes: 2 | 4 | 6 | 8, rd: number, base: number, off: number, bigEndian: boolean, weight: number): Insn {
  if (bytes === 6 && bigEndian) throw new Error("bug: 6-byte loads are little-endian only");
  return { opcode: WIDE_OPCODE[bytes]!, dst: rd, src: base, off, imm: (weight << 8) | (bigEndian ? 1 : 0) };
}

/** The store of a copy: [base + off] = the low `bytes` bytes of rs (STX mode 7: the load's opcode + 2). */
export function stxWide(bytes: 2 | 4 | 6 | 8, base: number, off: number, rs: number, weight: number): Insn {
  return { opcode: WIDE_OPCODE[bytes]! + 2, dst: base, src: rs, off, imm: weight << 8 };
}

/** ldx_wide and stx_wide fields (bigEndian is always false for a store). */
export function ldxWideFields(s: Insn): { bytes: number; bigEndian: boolean; weight: number } {
  return { bytes: WIDE_BYTES[s.opcode]!, bigEndian: (s.imm & 1) === 1, weight: (s.imm >> 8) & 0xff };
}

/** The constant a jcc_add carries: 24 bits, signed. */
export const JCC_ADD_MIN = -(1 << 23);
export const JCC_ADD_MAX = (1 << 23) - 1;

export function jccAdd(is32: boolean, code: number, ra: number, rb: number, k: number, off: number, weight: number): Insn {
  return { opcode: is32 ? 0xee : 0xed, dst: ra, src: rb, off, imm: ((code << 28) | (weight << 24) | (k & 0xff_ffff)) | 0 };
}

export function jccAddFields(s: Insn): { code: number; ra: number; rb: number; k: number; weight: number; is32: boolean } {
  const k = s.imm & 0xff_ffff;
  return { code: (s.imm >>> 28) & 0xf, ra: s.dst, rb: s.src, k: k >= 1 << 23 ? k - (1 << 24) : k, weight: (s.imm >>> 24) & 0xf, is32: s.opcode === 0xee };
}

/** BPF instructions a slot retires: 2 for a pair fusion, what a wide load or fused jump says, 0 for an empty slot, else 1. */
export function slotWeight(s: Insn | undefined): number {
  if (!s) return 0;
  const f = extForm(s);
  if (f?.kind === "ldx_wide" || f?.kind === "stx_wide") return ldxWideFields(s).weight;
  if (f?.kind === "jcc_add") return jccAddFields(s).weight;
  return f?.weight ?? 1;
}

/** One slot as text: extensions in the engine's own syntax, the rest as the BPF disassembler prints them. */
export function disasmSlot(s: Insn, next?: Insn): string {
  const f = extForm(s);
  if (!f) return formOf(s) ? printUbpf(s, next, 0) : `.slot 0x${s.opcode.toString(16).padStart(2, "0")}`;
  if (f.kind === "exit_imm") return `exit ${s.off === 1 ? `${s.imm >>> 0} (32)` : s.imm}`;
  if (f.kind === "ctx_read") return `ctx %r${s.dst}, ${CTX_FIELDS.get(s.imm) ?? s.imm}`;
  if (f.kind === "ldx_wide") {
    const w = ldxWideFields(s);
    return `ldx${w.bigEndian ? "be" : "le"}${w.bytes * 8} %r${s.dst}, [%r${s.src}${s.off < 0 ? "" : "+"}${s.off}] (${w.weight})`;
  }
  if (f.kind === "stx_wide") {
    const w = ldxWideFields(s);
    return `stx${w.bytes * 8} [%r${s.dst}${s.off < 0 ? "" : "+"}${s.off}], %r${s.src} (${w.weight})`;
  }
  if (f.kind === "jcc_add") {
    const j = jccAddFields(s);
    const name = JMP_OPS.find((o) => o.code === j.code << 4)?.name ?? `j?${j.code}`;
    return `${name}${j.is32 ? "32" : ""} %r${j.ra}${j.k < 0 ? "" : "+"}${j.k}, %r${j.rb}, ${s.off < 0 ? "" : "+"}${s.off} (${j.weight})`;
  }
  const a = alu3Fields(s);
  const suffix = a.is32 ? "32" : "";
  if (a.name === "neg") return `neg${suffix} %r${a.rd}, %r${a.rs}`;
  return `${a.name}${suffix} %r${a.rd}, %r${a.rs}, ${a.rt !== undefined ? `%r${a.rt}` : a.imm}`;
}
