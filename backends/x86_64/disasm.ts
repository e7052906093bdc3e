// x86-64 disassembly of exactly the forms encode.ts emits (STYLE.md §4), from the
// encoder's own tables: the ALU, shift, group-3 and condition-code rows are generated
// from ALU, SHIFT, GROUP3 and CC with the GROUP_OPCODE bytes, and the other forms are
// OP's rows, which the emitter writes with `op(OP.x)` and which carry their operands in
// the SDM's notation (Vol. 2 Appendix A.2: Ev, Gv, Zv, Iz, Jz, ...). Encoding and
// decoding share one description: a form added there is decoded too (or shows up as
// `.byte` in test/backends/native/disasm.test.ts). The text is objdump's Intel syntax
// (`objdump -M intel`, the syntax test/backends/x86_64/encode.test.ts compares
// against), whitespace collapsed: `add rax,0xe`, `mov QWORD PTR [r12+0x8],rdi`, jump
// targets as offsets in the blob. Bytes that are none of these forms are a `.byte` line
// each: the decoder never throws.
import type { NativeInsn } from "../common/native-backend.js";
import { ALU, CC, GROUP3, GROUP_OPCODE, OP, PREFIX, REG_NAMES, SHIFT, type Form } from "./encode.js";

const hasModrm = (f: Form): boolean => f.ext !== undefined || f.operands.some((o) => o[0] === "E" || o[0] === "G" || o === "M");

/** Every form: the group rows generated from the encoder's tables, then OP's. */
export const FORMS: readonly Form[] = [
  ...Object.entries(ALU).flatMap(([mnemonic, { rr, ext }]): Form[] => [
    { opcode: [rr], mnemonic, operands: ["Ev", "Gv"] }, // op r/m, r (aluRR, lockAluMR)
    { opcode: [rr + 2], mnemonic, operands: ["Gv", "Ev"] }, // op r, r/m (aluRM)
    { opcode: [GROUP_OPCODE.aluImm8], ext, mnemonic, operands: ["Ev", "sIb"] },
    { opcode: [GROUP_OPCODE.aluImm32], ext, mnemonic, operands: ["Ev", "Iz"] },
  ]),
  ...Object.entries(SHIFT).flatMap(([mnemonic, ext]): Form[] => [
    { opcode: [GROUP_OPCODE.shiftImm], ext, mnemonic, operands: ["Ev", "Ib"] },
    { opcode: [GROUP_OPCODE.shiftCl], ext, mnemonic, operands: ["Ev", "CL"] },
  ]),
  ...Object.entries(GROUP3).map(([mnemonic, ext]): Form => ({ opcode: [GROUP_OPCODE.group3], ext, mnemonic, operands: mnemonic === "test" ? ["Ev", "Iz"] : ["Ev"] })),
  ...Object.entries(CC).map(([cc, code]): Form => ({ opcode: [0x0f, GROUP_OPCODE.jcc + code], mnemonic: `j${cc}`, operands: ["Jz"] })),
  ...Object.values(OP),
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
      if (b === PREFIX.opsize && !opsize16) opsize16 = true;
      else if (b === PREFIX.lock && !lock) lock = true;
      else if (b === PREFIX.rep && !rep) rep = true;
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
