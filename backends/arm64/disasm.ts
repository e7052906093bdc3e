// AArch64 disassembly of exactly the forms encode.ts emits (STYLE.md §4), as data: each
// row is a (mask, value) pair over the 32-bit word, the fixed bits of one encoding
// (DDI 0487 C4), and how to print it. Every row is generated from the encoder's own
// tables (DP_REG, DP_IMM, BITFIELD, LDST_UIMM, LDST_SIMM9, EXCLUSIVE, MOV_WIDE, MUL_ADD,
// REV, PAIR, BRANCH, SYSTEM, COND): encoding and decoding share one description, and a
// row added there is decoded too (or shows up as `.byte` in the tests). The text is aarch64-linux-gnu-objdump's, with its
// preferred aliases (MOV, CMP, TST, NEG, MUL, LSL, SXTB, ...; DDI 0487 C6 "alias
// conditions") and whitespace collapsed: `mov x7, #0x0 // #0`, `b.ne 0x10 // b.any`,
// branch targets as offsets in the blob. A word that is none of these is a `.byte` line.
import type { NativeInsn } from "../common/native-backend.js";
import { BITFIELD, BRANCH, COND, DP_IMM, DP_REG, EXCLUSIVE, LDST_SIMM9, LDST_UIMM, MOV_WIDE, MUL_ADD, PAIR, REV, SYSTEM } from "./encode.js";

interface Row {
  readonly mask: number;
  readonly value: number;
  /** The text, or undefined for a field combination the encoder never writes. */
  readonly print: (word: number, at: number) => string | undefined;
}

// ------------------------------------------------------------------ fields and names

const rd = (w: number): number => w & 31;
const rn = (w: number): number => (w >>> 5) & 31;
const rm = (w: number): number => (w >>> 16) & 31;
const ra = (w: number): number => (w >>> 10) & 31;
const sf = (w: number): boolean => w >>> 31 === 1;

/** Register 31 is XZR/WZR or SP/WSP depending on the operand (DDI 0487 C1.2.5). */
const zr = (r: number, x: boolean): string => (r === 31 ? (x ? "xzr" : "wzr") : `${x ? "x" : "w"}${r}`);
const sp = (r: number, x: boolean): string => (r === 31 ? (x ? "sp" : "wsp") : `${x ? "x" : "w"}${r}`);

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
const signExtend = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
const target = (at: number, words: number): string => hex(BigInt.asUintN(64, BigInt(at + 4 * words)));

/** Condition names as objdump prints them, with its comment of the other names (binutils aarch64-opc.c). */
const COND_TEXT: readonly string[] = [
  "eq // b.none", "ne // b.any", "cs // b.hs, b.nlast", "cc // b.lo, b.ul, b.last", "mi // b.first", "pl // b.nfrst", "vs", "vc",
  "hi // b.pmore", "ls // b.plast", "ge // b.tcont", "lt // b.tstop", "gt", "le", "al", "nv",
];

// ------------------------------------------------------------------ how each family prints

/** Data processing (register): shifted-register ALU ops with no shift, and the two-source ops. */
function dpReg(name: keyof typeof DP_REG): Row["print"] {
  return (word) => {
    const x = sf(word);
    const [d, n, m] = [zr(rd(word), x), zr(rn(word), x), zr(rm(word), x)];
    if (name === "subs" && rd(word) === 31) return `cmp ${n}, ${m}`;
    if (name === "ands" && rd(word) === 31) return `tst ${n}, ${m}`;
    if (name === "sub" && rn(word) === 31) return `neg ${d}, ${m}`;
    if (name === "subs" && rn(word) === 31) return `negs ${d}, ${m}`;
    if (name === "orr" && rn(word) === 31) return `mov ${d}, ${m}`;
    const mnemonic = { lslv: "lsl", lsrv: "lsr", asrv: "asr" }[name as string] ?? name;
    return `${mnemonic} ${d}, ${n}, ${m}`;
  };
}

/** ADD/ADDS/SUB/SUBS (immediate), imm12 optionally LSL #12. */
function dpImm(name: keyof typeof DP_IMM): Row["print"] {
  return (word) => {
    const x = sf(word);
    const shifted = ((word >>> 22) & 1) === 1;
    const imm = (word >>> 10) & 0xfff;
    const n = sp(rn(word), x);
    const operand = `#${hex(imm)}${shifted ? ", lsl #12" : ""}`;
    const setsFlags = name === "adds" || name === "subs";
    const d = setsFlags ? zr(rd(word), x) : sp(rd(word), x);
    if (setsFlags && rd(word) === 31) return `${name === "subs" ? "cmp" : "cmn"} ${n}, ${operand}`;
    if (name === "add" && imm === 0 && !shifted && (rd(word) === 31 || rn(word) === 31)) return `mov ${d}, ${n}`;
    return `${name} ${d}, ${n}, ${operand}`;
  };
}

/** UBFM/SBFM with their aliases: LSL/LSR/ASR, UXTB/UXTH (32-bit), SXTB/SXTH/SXTW, UBFX/UBFIZ/SBFX/SBFIZ. */
function bitfield(kind: keyof typeof BITFIELD): Row["print"] {
  const signed = kind.startsWith("s");
  const x = kind.endsWith("64");
  const bits = x ? 64 : 32;
  return (word) => {
    const immr = (word >>> 16) & 63;
    const imms = (word >>> 10) & 63;
    if (immr >= bits || imms >= bits) return undefined;
    const [d, n] = [zr(rd(word), x), zr(rn(word), x)];
    if (imms === bits - 1) return `${signed ? "asr" : "lsr"} ${d}, ${n}, #${immr}`;
    if (!signed && imms + 1 === immr) return `lsl ${d}, ${n}, #${bits - 1 - imms}`;
    if (immr === 0 && (imms === 7 || imms === 15 || (signed && imms === 31))) {
      if (signed) return `sxt${imms === 7 ? "b" : imms === 15 ? "h" : "w"} ${d}, ${zr(rn(word), false)}`;
      if (!x) return `uxt${imms === 7 ? "b" : "h"} ${d}, ${n}`;
    }
    const p = signed ? "s" : "u";
    if (imms < immr) return `${p}bfiz ${d}, ${n}, #${bits - immr}, #${imms + 1}`;
    return `${p}bfx ${d}, ${n}, #${immr}, #${imms - immr + 1}`;
  };
}

/** The mnemonic of a load/store by kind and size, and whether Rt is an X register. */
function ldstName(op: "ldr" | "ldrs" | "str", size: number, unscaled: boolean): { mnemonic: string; x: boolean } {
  const suffix = { 1: "b", 2: "h", 4: "", 8: "" }[size]!;
  const base = unscaled ? op.replace("ldr", "ldur").replace("str", "stur") : op;
  if (op === "ldrs") return size === 8 ? { mnemonic: unscaled ? "ldur" : "ldr", x: true } : { mnemonic: `${base}${suffix || "w"}`, x: true };
  return { mnemonic: `${base}${suffix}`, x: size === 8 };
}

function ldstUimm(op: "ldr" | "ldrs" | "str", size: number): Row["print"] {
  const { mnemonic, x } = ldstName(op, size, false);
  return (word) => {
    const off = ((word >>> 10) & 0xfff) * size;
    return `${mnemonic} ${zr(rd(word), x)}, [${sp(rn(word), true)}${off ? `, #${off}` : ""}]`;
  };
}

function ldstSimm9(op: "ldr" | "ldrs" | "str", size: number): Row["print"] {
  const { mnemonic, x } = ldstName(op, size, true);
  return (word) => {
    const off = signExtend((word >>> 12) & 0x1ff, 9);
    return `${mnemonic} ${zr(rd(word), x)}, [${sp(rn(word), true)}${off ? `, #${off}` : ""}]`;
  };
}

/** MOVN/MOVZ/MOVK; MOV is preferred for MOVZ/MOVN unless the lane is 0 above lane 0 (or, for a 32-bit MOVN, 0xffff). */
function movWide(kind: "movn" | "movz" | "movk"): Row["print"] {
  return (word) => {
    const x = sf(word);
    const hw = (word >>> 21) & 3;
    if (!x && hw > 1) return undefined;
    const imm16 = (word >>> 5) & 0xffff;
    const d = zr(rd(word), x);
    const shift = hw ? `, lsl #${16 * hw}` : "";
    const bits = x ? 64 : 32;
    const alias = kind !== "movk" && !(imm16 === 0 && hw !== 0) && !(kind === "movn" && !x && imm16 === 0xffff);
    if (!alias) return `${kind} ${d}, #${hex(imm16)}${shift}`;
    const raw = BigInt(imm16) << BigInt(16 * hw);
    const value = BigInt.asUintN(bits, kind === "movn" ? ~raw : raw);
    return `mov ${d}, #${hex(value)} // #${BigInt.asIntN(bits, value)}`;
  };
}

/** MADD/MSUB, MUL/MNEG when Ra is XZR. */
function mulAdd(kind: keyof typeof MUL_ADD): Row["print"] {
  return (word) => {
    const x = sf(word);
    const operands = `${zr(rd(word), x)}, ${zr(rn(word), x)}, ${zr(rm(word), x)}`;
    if (ra(word) === 31) return `${kind === "madd" ? "mul" : "mneg"} ${operands}`;
    return `${kind} ${operands}, ${zr(ra(word), x)}`;
  };
}

/** LDP/STP of X registers, pre- or post-indexed: the prologue's pushes and pops. */
function pair(mnemonic: "ldp" | "stp", pre: boolean): Row["print"] {
  return (word) => {
    const off = signExtend((word >>> 15) & 0x7f, 7) * 8;
    const regs = `${zr(rd(word), true)}, ${zr(ra(word), true)}`;
    const base = sp(rn(word), true);
    return pre ? `${mnemonic} ${regs}, [${base}, #${off}]!` : `${mnemonic} ${regs}, [${base}], #${off}`;
  };
}

// ------------------------------------------------------------------ the rows

const SF = 0x7fffffff; // rows with both widths: the sf bit is left out of the mask
const LDST_OPS = ["ldr", "ldrs", "str"] as const;
const SIZES = [1, 2, 4, 8] as const;

export const ROWS: readonly Row[] = [
  ...Object.entries(DP_REG).map(([name, base]): Row => ({ mask: 0x7fe0fc00, value: base & SF, print: dpReg(name as keyof typeof DP_REG) })),
  ...Object.entries(DP_IMM).map(([name, base]): Row => ({ mask: 0x7f800000, value: base & SF, print: dpImm(name as keyof typeof DP_IMM) })),
  ...Object.entries(BITFIELD).map(([kind, base]): Row => ({ mask: 0xffc00000, value: base, print: bitfield(kind as keyof typeof BITFIELD) })),
  // LDRS of 8 bytes is LDR (LDST_UIMM.ldrs[8] = ldr[8]): the first row found prints it.
  ...LDST_OPS.flatMap((op) => SIZES.map((size): Row => ({ mask: 0xffc00000, value: LDST_UIMM[op][size], print: ldstUimm(op, size) }))),
  ...LDST_OPS.flatMap((op) => SIZES.map((size): Row => ({ mask: 0xffe00c00, value: LDST_SIMM9[op][size], print: ldstSimm9(op, size) }))),
  ...([4, 8] as const).flatMap((size): Row[] => [
    { mask: 0xfffffc00, value: EXCLUSIVE.ldaxr[size], print: (w) => `ldaxr ${zr(rd(w), size === 8)}, [${sp(rn(w), true)}]` },
    { mask: 0xffe0fc00, value: EXCLUSIVE.stlxr[size], print: (w) => `stlxr ${zr(rm(w), false)}, ${zr(rd(w), size === 8)}, [${sp(rn(w), true)}]` },
  ]),
  ...Object.values(COND).map((c): Row => ({ mask: 0xff00001f, value: BRANCH.bcond | c, print: (w, at) => `b.${COND_TEXT[c]!.replace(/ \/\/.*/, "")} ${target(at, signExtend((w >>> 5) & 0x7ffff, 19))}${COND_TEXT[c]!.replace(/^\w+/, "")}` })),
  ...Object.entries(MOV_WIDE).map(([kind, base]): Row => ({ mask: 0x7f800000, value: base, print: movWide(kind as keyof typeof MOV_WIDE) })),
  ...Object.entries(MUL_ADD).map(([kind, base]): Row => ({ mask: 0x7fe08000, value: base & SF, print: mulAdd(kind as keyof typeof MUL_ADD) })),
  { mask: 0xfffffc00, value: REV.rev64, print: (w) => `rev ${zr(rd(w), true)}, ${zr(rn(w), true)}` },
  { mask: 0xfffffc00, value: REV.rev32, print: (w) => `rev ${zr(rd(w), false)}, ${zr(rn(w), false)}` },
  { mask: 0xfffffc00, value: REV.rev16, print: (w) => `rev16 ${zr(rd(w), false)}, ${zr(rn(w), false)}` },
  { mask: 0xffc00000, value: PAIR.stpPre, print: pair("stp", true) },
  { mask: 0xffc00000, value: PAIR.ldpPost, print: pair("ldp", false) },
  { mask: 0xffc00000, value: PAIR.stpPost, print: pair("stp", false) },
  { mask: 0xfffffc1f, value: SYSTEM.blr, print: (w) => `blr ${zr(rn(w), true)}` },
  { mask: 0xfffffc1f, value: SYSTEM.br, print: (w) => `br ${zr(rn(w), true)}` },
  { mask: 0xfffffc1f, value: SYSTEM.ret & 0xfffffc1f, print: (w) => (rn(w) === 30 ? "ret" : `ret ${zr(rn(w), true)}`) }, // RET Xn; X30 is implied
  { mask: 0xffe0001f, value: SYSTEM.brk, print: (w) => `brk #${hex((w >>> 5) & 0xffff)}` },
  { mask: 0xfc000000, value: BRANCH.b, print: (w, at) => `b ${target(at, signExtend(w & 0x3ffffff, 26))}` },
  { mask: 0xfc000000, value: BRANCH.bl, print: (w, at) => `bl ${target(at, signExtend(w & 0x3ffffff, 26))}` },
  { mask: 0x7f000000, value: BRANCH.cbnzW, print: (w, at) => `cbnz ${zr(rd(w), sf(w))}, ${target(at, signExtend((w >>> 5) & 0x7ffff, 19))}` },
];

/** The text of one instruction word at byte offset `at`, or undefined if it is none of the rows. */
export function decodeA64(word: number, at: number): string | undefined {
  const w = word >>> 0;
  const row = ROWS.find((r) => ((w & r.mask) >>> 0) === r.value >>> 0);
  return row?.print(w, at);
}

/** The whole blob, word by word; a word no row matches (or a trailing partial word) is a `.byte` line. */
export function disassembleA64(code: Uint8Array): NativeInsn[] {
  const out: NativeInsn[] = [];
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  for (let at = 0; at < code.length; at += 4) {
    const bytes = code.subarray(at, at + 4);
    const text = bytes.length === 4 ? decodeA64(view.getUint32(at, true), at) : undefined;
    out.push({ offset: at, bytes, text: text ?? `.byte ${Array.from(bytes, (b) => `0x${b.toString(16).padStart(2, "0")}`).join(", ")}` });
  }
  return out;
}
