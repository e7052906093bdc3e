// Encoding and decoding of BPF programs (RFC 9669 §3), and the structural validation
// that every consumer relies on: known opcodes, unused fields zero, registers in range,
// lddw pairs whole, branch targets inside the program. What a program does with its
// registers at run time is the verifier's business, not this file's.
import { diag, DiagnosticError, type Diagnostic } from "../diag/diag.js";
import { FORMS_BY_OPCODE, SHAPE_FIELDS, type Field } from "./opcodes.js";
import { branchTarget, formOf, isLddw, type Insn } from "./insn.js";

export const SLOT_BYTES = 8;

/** Bytes to slots. Throws a DiagnosticError if the length is not whole slots. */
export function decodeSlots(bytes: Uint8Array, file?: string): Insn[] {
  if (bytes.length % SLOT_BYTES !== 0) throw new DiagnosticError([diag("enc-length", { file }, [bytes.length])]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots: Insn[] = [];
  for (let p = 0; p < bytes.length; p += SLOT_BYTES) {
    const regs = view.getUint8(p + 1);
    // RFC 9669 §3: on little-endian hosts dst is the low nibble and src the high one.
    slots.push({ opcode: view.getUint8(p), dst: regs & 0x0f, src: regs >> 4, off: view.getInt16(p + 2, true), imm: view.getInt32(p + 4, true) });
  }
  return slots;
}

/** Slots to bytes (little-endian, RFC 9669 §3). */
export function encodeSlots(slots: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(slots.length * SLOT_BYTES);
  const view = new DataView(out.buffer);
  slots.forEach((s, k) => {
    const p = k * SLOT_BYTES;
    view.setUint8(p, s.opcode);
    view.setUint8(p + 1, (s.dst & 0x0f) | ((s.src & 0x0f) << 4));
    view.setInt16(p + 2, s.off, true);
    view.setInt32(p + 4, s.imm, true);
  });
  return out;
}

/** Register fields that a shape reads or writes as registers (the rest are not registers). */
const REGISTER_FIELDS: Partial<Record<string, readonly ("dst" | "src")[]>> = {
  alu_imm: ["dst"], alu_reg: ["dst", "src"], unary: ["dst"], movsx: ["dst", "src"], end: ["dst"],
  ldx: ["dst", "src"], st: ["dst"], stx: ["dst", "src"], atomic: ["dst", "src"], lddw: ["dst"],
  ldind: ["src"], jmp_imm: ["dst"], jmp_reg: ["dst", "src"], callx: ["dst"],
};

/** Shapes whose dst register is written (r10 must not be, RFC 9669 §2.1: read-only frame pointer). */
const WRITES_DST = new Set(["alu_imm", "alu_reg", "unary", "movsx", "end", "ldx", "lddw"]);

/** Every structural problem of a program, each with its instruction index. Empty if valid. */
export function validateSlots(slots: readonly Insn[], file?: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (slots.length === 0) return [diag("enc-empty", { file })];
  const secondSlots = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    if (secondSlots.has(i)) continue;
    const s = slots[i]!;
    const loc = { file, insn: i };
    const candidates = FORMS_BY_OPCODE.get(s.opcode);
    if (!candidates) {
      out.push(diag("enc-opcode", loc, [s.opcode.toString(16).padStart(2, "0")]));
      continue;
    }
    const form = formOf(s);
    if (!form) {
      // The opcode exists but a fixed field (off of div, imm of a swap or atomic, src of lddw/call) is wrong.
      const fixedFields = [...new Set(candidates.flatMap((c) => Object.keys(c.fixed)))] as Field[];
      const f = fixedFields[0] ?? "imm";
      const allowed = [...new Set(candidates.map((c) => c.fixed[f]))].join(" or ");
      out.push(diag("enc-field", loc, [f, allowed, candidates[0]!.mnemonic, s[f]]));
      continue;
    }
    const used = new Set<string>([...SHAPE_FIELDS[form.shape], ...Object.keys(form.fixed)]);
    for (const f of ["dst", "src", "off", "imm"] as const) {
      if (!used.has(f) && s[f] !== 0) out.push(diag("enc-field", loc, [f, 0, form.mnemonic, s[f]]));
    }
    for (const r of REGISTER_FIELDS[form.shape] ?? []) {
      if (s[r] > 10) out.push(diag("enc-register", loc, [s[r]]));
    }
    if (WRITES_DST.has(form.shape) && s.dst === 10) out.push(diag("enc-write-r10", loc));
    if (isLddw(s)) {
      const hi = slots[i + 1];
      if (!hi) out.push(diag("enc-lddw-truncated", loc));
      else if (hi.opcode !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) out.push(diag("enc-lddw-second", { file, insn: i + 1 }));
      secondSlots.add(i + 1);
    }
  }
  // Branch targets, once the lddw second slots are known.
  for (let i = 0; i < slots.length; i++) {
    if (secondSlots.has(i)) continue;
    const form = formOf(slots[i]!);
    if (!form) continue;
    const t = branchTarget(i, slots[i]!, form);
    if (t === undefined) continue;
    if (t < 0 || t >= slots.length) out.push(diag("enc-jump-range", { file, insn: i }, [t, slots.length - 1]));
    else if (secondSlots.has(t)) out.push(diag("enc-jump-lddw", { file, insn: i }, [t]));
  }
  return out;
}

/** decode + validate; throws with every problem found. */
export function decodeProgram(bytes: Uint8Array, file?: string): Insn[] {
  const slots = decodeSlots(bytes, file);
  const problems = validateSlots(slots, file);
  if (problems.length) throw new DiagnosticError(problems);
  return slots;
}
