// x86-64 disassembly of exactly the forms encode.ts emits (STYLE.md §4), as data: one row
// per opcode in the SDM's own operand notation (Vol. 2, Appendix A.2: E = ModR/M r/m,
// G = ModR/M reg, Z = the register in the opcode's low bits, I = immediate, J = rel32;
// b/w/d/q/v = byte, word, dword, qword, the operand size), built beside the encoder's
// tables: the ALU, shift, group-3 and condition-code rows are generated from ALU, SHIFT,
// GROUP3 and CC themselves, so a row added there is decoded too. The text is objdump's
// Intel syntax (`objdump -M intel`, the syntax test/backends/x86_64/encode.test.ts
// compares against), whitespace collapsed: `add rax,0xe`, `mov QWORD PTR [r12+0x8],rdi`,
// jump targets as offsets in the blob. Bytes that are not one of these forms are a
// `.byte` line each: the decoder never throws.
import type { NativeInsn } from "../common/native-backend.js";
import { ALU, CC, GROUP3, REG_NAMES, SHIFT } from "./encode.js";

/** Operand kinds (SDM Appendix A.2.1/A.2.2 notation). */
type Operand =
  | "Eb" | "Ew" | "Ed" | "Eq" | "Ev" // ModR/M r/m: register or memory, of a size
  | "M" // ModR/M memory only, no size (LEA)
  | "Gb" | "Gv" // ModR/M reg
  | "Zv" | "Zq" // register in the opcode's low 3 bits (+ REX.B)
  | "Ib" // imm8, printed as the byte (shift counts, byte stores)
  | "sIb" // imm8 sign-extended to the operand size (group 1 83 /digit)
  | "Iz" // imm16 with 66, else imm32 sign-extended to the operand size
  | "Iv" // imm32, or imm64 with REX.W (MOV r, imm: B8+r)
  | "Jz" // rel32, printed as the target offset
  | "CL";

interface Form {
  /** Opcode bytes after the prefixes; a Z form's last byte has the register bits clear. */
  readonly opcode: readonly number[];
  /** The ModR/M reg field of a group opcode (/digit). */
  readonly ext?: number;
  readonly mnemonic: string;
  readonly operands: readonly Operand[];
  /** Another mnemonic with REX.W (CDQ/CQO, MOV/MOVABS). */
  readonly wide?: string;
  /** The REP (F3) prefix belongs to this form (REP STOS). */
  readonly rep?: boolean;
}

const hasModrm = (f: Form): boolean => f.ext !== undefined || f.operands.some((o) => o[0] === "E" || o[0] === "G" || o === "M");

/** Every row, the generated ones from the encoder's tables first. */
export const FORMS: readonly Form[] = [
  ...Object.entries(ALU).flatMap(([mnemonic, { rr, ext }]): Form[] => [
    { opcode: [rr], mnemonic, operands: ["Ev", "Gv"] }, // op r/m, r (01, 09, 21, 29, 31, 39 /r)
    { opcode: [rr + 2], mnemonic, operands: ["Gv", "Ev"] }, // op r, r/m (aluRM)
    { opcode: [0x83], ext, mnemonic, operands: ["Ev", "sIb"] }, // group 1, imm8 sign-extended
    { opcode: [0x81], ext, mnemonic, operands: ["Ev", "Iz"] }, // group 1, imm32
  ]),
  ...Object.entries(SHIFT).flatMap(([mnemonic, ext]): Form[] => [
    { opcode: [0xc1], ext, mnemonic, operands: ["Ev", "Ib"] }, // group 2 by imm8
    { opcode: [0xd3], ext, mnemonic, operands: ["Ev", "CL"] }, // group 2 by CL
  ]),
  ...Object.entries(GROUP3).map(([mnemonic, ext]): Form => ({ opcode: [0xf7], ext, mnemonic, operands: mnemonic === "test" ? ["Ev", "Iz"] : ["Ev"] })),
  ...Object.entries(CC).map(([cc, code]): Form => ({ opcode: [0x0f, 0x80 + code], mnemonic: `j${cc}`, operands: ["Jz"] })),
  { opcode: [0x85], mnemonic: "test", operands: ["Ev", "Gv"] },
  { opcode: [0x88], mnemonic: "mov", operands: ["Eb", "Gb"] }, // byte store
  { opcode: [0x89], mnemonic: "mov", operands: ["Ev", "Gv"] }, // register move, store
  { opcode: [0x8b], mnemonic: "mov", operands: ["Gv", "Ev"] }, // load
  { opcode: [0xb8], mnemonic: "mov", wide: "movabs", operands: ["Zv", "Iv"] },
  { opcode: [0xc6], ext: 0, mnemonic: "mov", operands: ["Eb", "Ib"] },
  { opcode: [0xc7], ext: 0, mnemonic: "mov", operands: ["Ev", "Iz"] },
  { opcode: [0x8d], mnemonic: "lea", operands: ["Gv", "M"] },
  { opcode: [0x0f, 0xaf], mnemonic: "imul", operands: ["Gv", "Ev"] },
  { opcode: [0x69], mnemonic: "imul", operands: ["Gv", "Ev", "Iz"] },
  { opcode: [0x99], mnemonic: "cdq", wide: "cqo", operands: [] },
  { opcode: [0x0f, 0xb6], mnemonic: "movzx", operands: ["Gv", "Eb"] },
  { opcode: [0x0f, 0xb7], mnemonic: "movzx", operands: ["Gv", "Ew"] },
  { opcode: [0x0f, 0xbe], mnemonic: "movsx", operands: ["Gv", "Eb"] },
  { opcode: [0x0f, 0xbf], mnemonic: "movsx", operands: ["Gv", "Ew"] },
  { opcode: [0x63], mnemonic: "movsxd", operands: ["Gv", "Ed"] },
  { opcode: [0x0f, 0xc8], mnemonic: "bswap", operands: ["Zv"] },
  { opcode: [0x0f, 0xc1], mnemonic: "xadd", operands: ["Ev", "Gv"] },
  { opcode: [0x0f, 0xb1], mnemonic: "cmpxchg", operands: ["Ev", "Gv"] },
  { opcode: [0x87], mnemonic: "xchg", operands: ["Ev", "Gv"] },
  { opcode: [0x50], mnemonic: "push", operands: ["Zq"] },
  { opcode: [0x58], mnemonic: "pop", operands: ["Zq"] },
  { opcode: [0xc3], mnemonic: "ret", operands: [] },
  { opcode: [0xff], ext: 2, mnemonic: "call", operands: ["Eq"] }, // helpers through rt's table
  { opcode: [0xab], mnemonic: "stos", rep: true, operands: [] }, // REP STOSQ (operands printed below)
  { opcode: [0xe9], mnemonic: "jmp", operands: ["Jz"] },
  { opcode: [0xe8], mnemonic: "call", operands: ["Jz"] },
];

/** Register names by operand size (objdump's: spl/bpl/sil/dil with a REX prefix, ah-bh without). */
const NAMES: Readonly<Record<8 | 16 | 32 | 64, readonly string[]>> = {
  64: REG_NAMES,
  32: ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", ...REG_NAMES.slice(8).map((r) => `${r}d`)],
  16: ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di", ...REG_NAMES.slice(8).map((r) => `${r}w`)],
  8: ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", ...REG_NAMES.slice(8).map((r) => `${r}b`)],
};
const LEGACY_BYTE = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"];
const PTR: Readonly<Record<number, string>> = { 8: "BYTE PTR ", 16: "WORD PTR ", 32: "DWORD PTR ", 64: "QWORD PTR " };

/** Forms by their first opcode byte (the second for 0F forms), for the lookup. */
const BY_OPCODE = new Map<string, Form[]>();
for (const f of FORMS) {
  const z = f.operands[0] === "Zv" || f.operands[0] === "Zq";
  for (let r = 0; r < (z ? 8 : 1); r++) {
    const key = [...f.opcode.slice(0, -1), f.opcode[f.opcode.length - 1]! + r].join(",");
    BY_OPCODE.set(key, [...(BY_OPCODE.get(key) ?? []), f]);
  }
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Decodes one instruction at `at`; undefined when the bytes are none of the forms above. */
export function decodeX64(code: Uint8Array, at: number): { length: number; text: string } | undefined {
  let p = at;
  const byte = (): number => {
    if (p >= code.length) throw new RangeError("truncated");
    return code[p++]!;
  };
  const le = (n: number): bigint => {
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(byte()) << BigInt(8 * i);
    return v;
  };
  try {
    let opsize16 = false;
    let lock = false;
    let rep = false;
    for (;;) {
      const b = code[p];
      if (b === 0x66 && !opsize16) opsize16 = true;
      else if (b === 0xf0 && !lock) lock = true;
      else if (b === 0xf3 && !rep) rep = true;
      else break;
      p++;
    }
    let rex = 0;
    if (p < code.length && (code[p]! & 0xf0) === 0x40) rex = byte();
    const w = (rex & 8) !== 0;
    const first = byte();
    const key = first === 0x0f ? `15,${byte()}` : `${first}`;
    const low = (first === 0x0f ? code[p - 1]! : first) & 7;
    const candidates = BY_OPCODE.get(key) ?? [];
    let modrm: number | undefined;
    const needModrm = candidates.some(hasModrm);
    if (needModrm) modrm = byte();
    const form = candidates.find((f) => f.ext === undefined || (modrm !== undefined && ((modrm >> 3) & 7) === f.ext));
    if (!form || (rep && !form.rep) || (form.rep && !(rep && w && !opsize16))) return undefined;
    const size: 16 | 32 | 64 = w ? 64 : opsize16 ? 16 : 32;
    const reg = (n: number, bits: 8 | 16 | 32 | 64): string => (bits === 8 && rex === 0 ? LEGACY_BYTE[n]! : NAMES[bits][n]!);

    // ModR/M and its memory operand (SDM Tables 2-2, 2-3): base + disp only, as the encoder writes.
    let rmText: ((bits: 8 | 16 | 32 | 64 | 0) => string) | undefined;
    let isMem = false;
    if (modrm !== undefined) {
      const mod = modrm >> 6;
      const rm = (modrm & 7) | ((rex & 1) << 3);
      if (mod === 3) {
        rmText = (bits) => reg(rm, bits === 0 ? 64 : bits);
      } else {
        isMem = true;
        let base = rm;
        if ((modrm & 7) === 4) {
          const sib = byte();
          // No index (100 without REX.X), scale 1: the only SIB the encoder writes (rsp/r12 bases).
          if (sib >> 6 !== 0 || ((sib >> 3) & 7) !== 4 || rex & 2) return undefined;
          base = (sib & 7) | ((rex & 1) << 3);
          if ((sib & 7) === 5 && mod === 0) return undefined; // disp32 without a base
        } else if ((modrm & 7) === 5 && mod === 0) return undefined; // RIP-relative: never emitted
        const disp = mod === 1 ? Number(BigInt.asIntN(8, le(1))) : mod === 2 ? Number(BigInt.asIntN(32, le(4))) : undefined;
        const where = `[${REG_NAMES[base]}${disp === undefined ? "" : disp < 0 ? `-0x${(-disp).toString(16)}` : `+0x${disp.toString(16)}`}]`;
        rmText = (bits) => (bits === 0 ? where : `${PTR[bits]}${where}`);
      }
    }
    if (lock && !isMem) return undefined;
    const gReg = modrm === undefined ? 0 : ((modrm >> 3) & 7) | ((rex & 4) << 1);
    const immOf = (bytes: number, bits: number): string => hex(BigInt.asUintN(bits, BigInt.asIntN(bytes * 8, le(bytes))));
    const texts: string[] = [];
    for (const o of form.operands) {
      switch (o) {
        case "Eb": texts.push(rmText!(8)); break;
        case "Ew": texts.push(rmText!(16)); break;
        case "Ed": texts.push(rmText!(32)); break;
        case "Eq": texts.push(rmText!(64)); break;
        case "Ev": texts.push(rmText!(size)); break;
        case "M":
          if (!isMem) return undefined;
          texts.push(rmText!(0));
          break;
        case "Gb": texts.push(reg(gReg, 8)); break;
        case "Gv": texts.push(reg(gReg, size)); break;
        case "Zv": texts.push(reg(low | ((rex & 1) << 3), size)); break;
        case "Zq": texts.push(reg(low | ((rex & 1) << 3), 64)); break;
        case "Ib": texts.push(hex(le(1))); break;
        case "sIb": texts.push(immOf(1, size)); break;
        case "Iz": texts.push(size === 16 ? immOf(2, 16) : immOf(4, size)); break;
        case "Iv": texts.push(w ? hex(le(8)) : size === 16 ? immOf(2, 16) : immOf(4, 32)); break;
        case "Jz": {
          const rel = BigInt.asIntN(32, le(4));
          texts.push(hex(BigInt.asUintN(64, BigInt(p) + rel)));
          break;
        }
        case "CL": texts.push("cl"); break;
      }
    }
    if (form.rep) texts.push("QWORD PTR es:[rdi]", "rax");
    const mnemonic = (w && form.wide) || (form.mnemonic === "cdq" && opsize16 ? "cwd" : form.mnemonic);
    const prefix = `${lock ? "lock " : ""}${form.rep ? "rep " : ""}`;
    return { length: p - at, text: `${prefix}${mnemonic}${texts.length ? ` ${texts.join(",")}` : ""}` };
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
}

/** The whole blob, instruction by instruction; a byte no form starts with is `.byte 0xNN`. */
export function disassembleX64(code: Uint8Array): NativeInsn[] {
  const out: NativeInsn[] = [];
  for (let at = 0; at < code.length; ) {
    const d = decodeX64(code, at);
    const length = d?.length ?? 1;
    out.push({ offset: at, bytes: code.subarray(at, at + length), text: d?.text ?? `.byte 0x${code[at]!.toString(16).padStart(2, "0")}` });
    at += length;
  }
  return out;
}
