// AArch64 instruction encoding as data (STYLE.md §3): every instruction is one 32-bit
// word, a base opcode from the tables below with register and immediate fields OR-ed in
// (Arm Architecture Reference Manual for A-profile, DDI 0487, chapter C4 "A64 Instruction
// Set Encoding"; the field names are the manual's: sf, Rd, Rn, Rm, imm12, imm26, ...).
// Branches to labels are fixed up after emission from a fixup list.

/** Register numbers: x0-x30; 31 is SP or XZR depending on the instruction (C1.2.5). */
export type Reg = number;
export const SP = 31;
export const XZR = 31;

/** Data-processing (register) opcodes, 64-bit forms (sf = 1); clear bit 31 for 32-bit. */
export const DP_REG = {
  add: 0x8b000000, // ADD (shifted register)
  sub: 0xcb000000, // SUB (shifted register)
  subs: 0xeb000000, // SUBS: CMP when Rd = XZR
  and: 0x8a000000, // AND (shifted register)
  orr: 0xaa000000, // ORR: MOV when Rn = XZR
  eor: 0xca000000, // EOR
  ands: 0xea000000, // ANDS: TST when Rd = XZR
  udiv: 0x9ac00800, // UDIV: x/0 = 0 (C6.2.388), as BPF wants
  sdiv: 0x9ac00c00, // SDIV: x/0 = 0, INT_MIN/-1 = INT_MIN
  lslv: 0x9ac02000, // LSLV: the amount is taken modulo the width, as BPF's
  lsrv: 0x9ac02400,
  asrv: 0x9ac02800,
} as const;
export type DpReg = keyof typeof DP_REG;

/** Add/subtract (immediate), 64-bit: imm12, optionally shifted left by 12 (sh, bit 22). */
export const DP_IMM = { add: 0x91000000, adds: 0xb1000000, sub: 0xd1000000, subs: 0xf1000000 } as const;
export type DpImm = keyof typeof DP_IMM;

/** Bitfield moves (UBFM/SBFM, N = sf): LSL/LSR/ASR by an immediate, UXTH, SXTB/H/W. */
export const BITFIELD = { ubfm64: 0xd3400000, sbfm64: 0x93400000, ubfm32: 0x53000000, sbfm32: 0x13000000 } as const;

/** Loads and stores with an unsigned scaled 12-bit offset (LDR/STR (immediate), unsigned offset), by size. */
export const LDST_UIMM = {
  ldr: { 1: 0x39400000, 2: 0x79400000, 4: 0xb9400000, 8: 0xf9400000 },
  ldrs: { 1: 0x39800000, 2: 0x79800000, 4: 0xb9800000, 8: 0xf9400000 }, // LDRSB/LDRSH/LDRSW (to X)
  str: { 1: 0x39000000, 2: 0x79000000, 4: 0xb9000000, 8: 0xf9000000 },
} as const;
/** The same with a signed unscaled 9-bit offset (LDUR/STUR/LDURS*). */
export const LDST_SIMM9 = {
  ldr: { 1: 0x38400000, 2: 0x78400000, 4: 0xb8400000, 8: 0xf8400000 },
  ldrs: { 1: 0x38800000, 2: 0x78800000, 4: 0xb8800000, 8: 0xf8400000 },
  str: { 1: 0x38000000, 2: 0x78000000, 4: 0xb8000000, 8: 0xf8000000 },
} as const;
export type LdSt = keyof typeof LDST_UIMM;

/** Load-acquire/store-release exclusive (LDAXR/STLXR), by size 4 | 8: the atomics' retry loops. */
export const EXCLUSIVE = { ldaxr: { 4: 0x885ffc00, 8: 0xc85ffc00 }, stlxr: { 4: 0x8800fc00, 8: 0xc800fc00 } } as const;

/** Move wide (immediate), 32-bit forms (sf = 0): hw selects the 16-bit lane (C6.2.225-227). */
export const MOV_WIDE = { movn: 0x12800000, movz: 0x52800000, movk: 0x72800000 } as const;

/** Multiply-add, 64-bit: Rd = Ra +/- Rn * Rm (MUL is MADD with Ra = XZR). */
export const MUL_ADD = { madd: 0x9b000000, msub: 0x9b008000 } as const;

/** Byte reversals: REV (64), REV (32), REV16 (32). */
export const REV = { rev64: 0xdac00c00, rev32: 0x5ac00800, rev16: 0x5ac00400 } as const;

/** Pairs of X registers with a signed imm7 scaled by 8: the prologue's pushes and pops, the stack zeroing. */
export const PAIR = { stpPre: 0xa9800000, ldpPost: 0xa8c00000, stpPost: 0xa8800000 } as const;

/** Branches: imm26 (B, BL), imm19 with a condition or a register (B.cond, CBNZ Wt). */
export const BRANCH = { b: 0x14000000, bl: 0x94000000, bcond: 0x54000000, cbnzW: 0x35000000 } as const;

/** Branch to register and exception generation: BLR Xn, BR Xn (a tail call), RET (X30), BRK #0. */
export const SYSTEM = { blr: 0xd63f0000, br: 0xd61f0000, ret: 0xd65f03c0, brk: 0xd4200000 } as const;

/** Condition codes (C1.2.4). */
export const COND = { eq: 0, ne: 1, hs: 2, lo: 3, mi: 4, pl: 5, hi: 8, ls: 9, ge: 10, lt: 11, gt: 12, le: 13 } as const;
export type Cond = keyof typeof COND;

export interface Label {
  offset: number | undefined;
}

/** Branch forms with a PC-relative word offset: imm26 at bit 0 (B, BL), imm19 at bit 5 (B.cond, CBZ/CBNZ). */
type BranchKind = "imm26" | "imm19";

interface Fixup {
  readonly at: number;
  readonly label: Label;
  readonly kind: BranchKind;
}

const u12 = (v: number): boolean => v >= 0 && v < 4096;

export class A64Emitter {
  readonly words: number[] = [];
  private readonly fixups: Fixup[] = [];

  /** Byte offset of the next instruction. */
  get size(): number {
    return this.words.length * 4;
  }

  word(w: number): void {
    this.words.push(w >>> 0);
  }

  private sf(base: number, w: 32 | 64): number {
    return w === 64 ? base : base & 0x7fffffff;
  }

  /** Data processing, three registers: Rd = Rn op Rm. */
  dpReg(op: DpReg, w: 32 | 64, rd: Reg, rn: Reg, rm: Reg): void {
    this.word(this.sf(DP_REG[op], w) | (rm << 16) | (rn << 5) | rd);
  }

  /** ADD/SUB/ADDS/SUBS (immediate): imm < 4096, or a multiple of 4096 below 2^24 (LSL #12). */
  dpImm(op: DpImm, w: 32 | 64, rd: Reg, rn: Reg, imm: number): void {
    const shifted = !u12(imm);
    const field = shifted ? imm >>> 12 : imm;
    if (!u12(field) || (shifted && (imm & 0xfff) !== 0)) throw new Error(`bug: immediate ${imm} does not fit ADD/SUB`);
    this.word(this.sf(DP_IMM[op], w) | ((shifted ? 1 : 0) << 22) | (field << 10) | (rn << 5) | rd);
  }

  /** MOV Rd, Rm (ORR Rd, XZR, Rm); the 32-bit form zero-extends, which is BPF's mov32. */
  mov(w: 32 | 64, rd: Reg, rm: Reg): void {
    this.dpReg("orr", w, rd, XZR, rm);
  }

  /** MOV to or from SP (ADD Rd, Rn, #0). */
  movSp(rd: Reg, rn: Reg): void {
    this.dpImm("add", 64, rd, rn, 0);
  }

  /** MOVZ/MOVN/MOVK (C6.2.225-227): hw selects the 16-bit lane. */
  movWide(kind: "movz" | "movn" | "movk", w: 32 | 64, rd: Reg, imm16: number, hw: number): void {
    const base = MOV_WIDE[kind] | (w === 64 ? 0x80000000 : 0);
    this.word(base | (hw << 21) | ((imm16 & 0xffff) << 5) | rd);
  }

  /**
   * A constant into a register, in the fewest MOVZ/MOVN + MOVK words: MOVN when more
   * lanes are 0xffff than 0x0000.
   */
  movImm(w: 32 | 64, rd: Reg, value: bigint): void {
    const lanes = w === 64 ? 4 : 2;
    const v = BigInt.asUintN(w, value);
    const lane = (i: number): number => Number((v >> BigInt(16 * i)) & 0xffffn);
    const all = Array.from({ length: lanes }, (_, i) => lane(i));
    const ones = all.filter((x) => x === 0xffff).length;
    const zeros = all.filter((x) => x === 0).length;
    const inverted = ones > zeros;
    const skip = inverted ? 0xffff : 0;
    const first = all.findIndex((x) => x !== skip);
    if (first < 0) {
      this.movWide(inverted ? "movn" : "movz", w, rd, 0, 0);
      return;
    }
    this.movWide(inverted ? "movn" : "movz", w, rd, inverted ? ~all[first]! & 0xffff : all[first]!, first);
    for (let i = first + 1; i < lanes; i++) if (all[i] !== skip) this.movWide("movk", w, rd, all[i]!, i);
  }

  /** MADD/MSUB (C6.2.218, C6.2.241): Rd = Ra +/- Rn * Rm; MUL is MADD with Ra = XZR. */
  mulAdd(sub: boolean, w: 32 | 64, rd: Reg, rn: Reg, rm: Reg, ra: Reg): void {
    this.word(this.sf(sub ? MUL_ADD.msub : MUL_ADD.madd, w) | (rm << 16) | (ra << 10) | (rn << 5) | rd);
  }

  /** UBFM/SBFM Rd, Rn, #immr, #imms. */
  bitfield(kind: keyof typeof BITFIELD, rd: Reg, rn: Reg, immr: number, imms: number): void {
    this.word(BITFIELD[kind] | (immr << 16) | (imms << 10) | (rn << 5) | rd);
  }

  /** LSL/LSR/ASR by an immediate, as UBFM/SBFM aliases. */
  shiftImm(op: "lsl" | "lsr" | "asr", w: 32 | 64, rd: Reg, rn: Reg, amount: number): void {
    const bits = w;
    const kind = `${op === "asr" ? "sbfm" : "ubfm"}${w}` as keyof typeof BITFIELD;
    if (op === "lsl") this.bitfield(kind, rd, rn, (bits - amount) % bits, bits - 1 - amount);
    else this.bitfield(kind, rd, rn, amount, bits - 1);
  }

  /** REV (64), REV (32), REV16 (32): byte swaps. */
  rev(kind: "rev64" | "rev32" | "rev16", rd: Reg, rn: Reg): void {
    this.word(REV[kind] | (rn << 5) | rd);
  }

  /** Loads/stores at [Rn + off]: the scaled unsigned form when it fits, else the 9-bit signed one. */
  ldst(op: LdSt, size: 1 | 2 | 4 | 8, rt: Reg, rn: Reg, off: number): void {
    if (off >= 0 && off % size === 0 && u12(off / size)) this.word(LDST_UIMM[op][size] | ((off / size) << 10) | (rn << 5) | rt);
    else if (off >= -256 && off <= 255) this.word(LDST_SIMM9[op][size] | ((off & 0x1ff) << 12) | (rn << 5) | rt);
    else throw new Error(`bug: offset ${off} does not fit a load/store`);
  }

  /** Whether ldst can encode [Rn + off] directly. */
  static fitsLdst(size: number, off: number): boolean {
    return (off >= 0 && off % size === 0 && u12(off / size)) || (off >= -256 && off <= 255);
  }

  /** STP (pre-index) / LDP (post-index) of two X registers: the prologue's pushes and pops. */
  stpPre(rt1: Reg, rt2: Reg, rn: Reg, off: number): void {
    this.word(PAIR.stpPre | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt1);
  }

  ldpPost(rt1: Reg, rt2: Reg, rn: Reg, off: number): void {
    this.word(PAIR.ldpPost | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt1);
  }

  /** STP (post-index): zero-fills the BPF stack 16 bytes at a time. */
  stpPost(rt1: Reg, rt2: Reg, rn: Reg, off: number): void {
    this.word(PAIR.stpPost | (((off / 8) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt1);
  }

  /** LDAXR Rt, [Rn] / STLXR Ws, Rt, [Rn]. */
  ldaxr(size: 4 | 8, rt: Reg, rn: Reg): void {
    this.word(EXCLUSIVE.ldaxr[size] | (rn << 5) | rt);
  }

  stlxr(size: 4 | 8, rs: Reg, rt: Reg, rn: Reg): void {
    this.word(EXCLUSIVE.stlxr[size] | (rs << 16) | (rn << 5) | rt);
  }

  /** BLR Xn / RET / BRK #0. */
  blr(rn: Reg): void {
    this.word(SYSTEM.blr | (rn << 5));
  }

  /** BR Xn: a tail call jumps to the target program's entry. */
  br(rn: Reg): void {
    this.word(SYSTEM.br | (rn << 5));
  }

  ret(): void {
    this.word(SYSTEM.ret);
  }

  brk(): void {
    this.word(SYSTEM.brk);
  }

  newLabel(): Label {
    return { offset: undefined };
  }

  bind(l: Label): void {
    if (l.offset !== undefined) throw new Error("bug: label bound twice");
    l.offset = this.size;
  }

  b(l: Label): void {
    this.branch(BRANCH.b, l, "imm26");
  }

  bl(l: Label): void {
    this.branch(BRANCH.bl, l, "imm26");
  }

  bcond(c: Cond, l: Label): void {
    this.branch(BRANCH.bcond | COND[c], l, "imm19");
  }

  /** CBNZ Wt: the exclusive-store status loop. */
  cbnzW(rt: Reg, l: Label): void {
    this.branch(BRANCH.cbnzW | rt, l, "imm19");
  }

  private branch(base: number, l: Label, kind: BranchKind): void {
    this.fixups.push({ at: this.words.length, label: l, kind });
    this.word(base);
  }

  finish(): Uint8Array {
    for (const f of this.fixups) {
      if (f.label.offset === undefined) throw new Error("bug: branch to an unbound label");
      const rel = f.label.offset / 4 - f.at;
      const field = f.kind === "imm26" ? rel & 0x3ffffff : (rel & 0x7ffff) << 5;
      if (f.kind === "imm19" && (rel < -(1 << 18) || rel >= 1 << 18)) throw new Error("bug: conditional branch out of range");
      this.words[f.at] = (this.words[f.at]! | field) >>> 0;
    }
    const out = new Uint8Array(this.words.length * 4);
    const v = new DataView(out.buffer);
    this.words.forEach((w, i) => v.setUint32(i * 4, w, true));
    return out;
  }
}
