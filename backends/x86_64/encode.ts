// x86-64 instruction encoding as data (STYLE.md §3): the opcode rows bpfoff's native
// code uses, an emitter buffer with the small helpers every form is built from (rex,
// modrm, sib, disp, imm), and labels with a fixup list for jumps and calls.
// References: Intel SDM Vol. 2 (2.1 instruction format, 2.2.1 REX prefixes, Table 2-2
// 32-bit addressing forms with ModR/M, Table 2-3 with SIB), and the Linux x86 BPF JIT
// (arch/x86/net/bpf_jit_comp.c), whose helper layout this follows.

/** Register numbers as the ModR/M and REX fields spell them (SDM Vol. 2, Table 3-1). */
export const REG = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 } as const;
export type Reg = (typeof REG)[keyof typeof REG];
export const REG_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const;

/** Operand width: 64 sets REX.W, 32 is the default size (and zero-extends, SDM Vol. 1 3.4.1.1). */
export type Width = 8 | 16 | 32 | 64;

/**
 * Two-operand ALU rows: `rr` is the "op r/m, r" opcode, `ext` the /digit of the
 * immediate group 1 (80/81/83 /digit), SDM Vol. 2 "ADD", "OR", ... tables.
 */
export const ALU = {
  add: { rr: 0x01, ext: 0 },
  or: { rr: 0x09, ext: 1 },
  and: { rr: 0x21, ext: 4 },
  sub: { rr: 0x29, ext: 5 },
  xor: { rr: 0x31, ext: 6 },
  cmp: { rr: 0x39, ext: 7 },
} as const;
export type AluOp = keyof typeof ALU;

/** Group 2 shifts (C1 /digit ib, D3 /digit by CL): the /digit of each. */
export const SHIFT = { rol: 0, ror: 1, shl: 4, shr: 5, sar: 7 } as const;
export type ShiftOp = keyof typeof SHIFT;

/** Group 3 (F7 /digit): the unary and divide forms. */
export const GROUP3 = { test: 0, not: 2, neg: 3, mul: 4, imul: 5, div: 6, idiv: 7 } as const;
export type Group3Op = keyof typeof GROUP3;

/** Condition codes (SDM Vol. 2 Appendix B.1.4.7, Table B-10): Jcc is 0F 80+cc rel32. */
export const CC = { o: 0x0, no: 0x1, b: 0x2, ae: 0x3, e: 0x4, ne: 0x5, be: 0x6, a: 0x7, s: 0x8, ns: 0x9, l: 0xc, ge: 0xd, le: 0xe, g: 0xf } as const;
export type Cond = keyof typeof CC;

/** The opcodes of the groups above (the /digit is the row of ALU, SHIFT or GROUP3), and Jcc's second byte after 0F (80+cc). */
export const GROUP_OPCODE = { aluImm8: 0x83, aluImm32: 0x81, shiftImm: 0xc1, shiftCl: 0xd3, group3: 0xf7, jcc: 0x80 } as const;

/** Legacy prefixes (SDM 2.1.1): operand size (16-bit forms), LOCK (atomics), REP (the stack zeroing). */
export const PREFIX = { opsize: 0x66, lock: 0xf0, rep: 0xf3 } as const;

/**
 * An operand in the SDM's notation (Vol. 2, Appendix A.2), for the disassembler
 * (disasm.ts): E = ModR/M r/m (register or memory), M = memory only, G = ModR/M reg,
 * Z = the register in the opcode's low 3 bits (+ REX.B), I = immediate, J = rel32;
 * b/w/d/q/v = byte, word, dword, qword, the operand size (REX.W: 64, 66: 16, else 32).
 * Ib is printed as the byte (shift counts, byte stores), sIb sign-extended to the
 * operand size (83 /digit); Iz is imm16 with 66, else imm32 sign-extended; Iv is imm32,
 * or imm64 with REX.W.
 */
export type Operand = "Eb" | "Ew" | "Ed" | "Eq" | "Ev" | "M" | "Gb" | "Gv" | "Zv" | "Zq" | "Ib" | "sIb" | "Iz" | "Iv" | "Jz" | "CL";

/** One instruction form: opcode bytes after the prefixes (a Z form's last byte with the register bits clear) and what follows. */
export interface Form {
  readonly opcode: readonly number[];
  /** The ModR/M reg field of a group opcode (/digit). */
  readonly ext?: number;
  readonly mnemonic: string;
  readonly operands: readonly Operand[];
  /** Another mnemonic with REX.W (CDQ/CQO, MOV/MOVABS). */
  readonly wide?: string;
  /** Only with the REP prefix and REX.W (REP STOSQ). */
  readonly rep?: boolean;
}

/** The forms outside the groups: one row per opcode the emitter writes (SDM Vol. 2 by mnemonic). */
export const OP = {
  test: { opcode: [0x85], mnemonic: "test", operands: ["Ev", "Gv"] }, // TEST r/m, r
  store8: { opcode: [0x88], mnemonic: "mov", operands: ["Eb", "Gb"] }, // MOV r/m8, r8: byte stores
  mov: { opcode: [0x89], mnemonic: "mov", operands: ["Ev", "Gv"] }, // MOV r/m, r: moves and stores
  load: { opcode: [0x8b], mnemonic: "mov", operands: ["Gv", "Ev"] }, // MOV r, r/m: loads
  movImm: { opcode: [0xb8], mnemonic: "mov", wide: "movabs", operands: ["Zv", "Iv"] }, // MOV r, imm32 / REX.W imm64
  movRmImm8: { opcode: [0xc6], ext: 0, mnemonic: "mov", operands: ["Eb", "Ib"] }, // MOV r/m8, imm8
  movRmImm: { opcode: [0xc7], ext: 0, mnemonic: "mov", operands: ["Ev", "Iz"] }, // MOV r/m, imm32 (sign-extended with REX.W)
  lea: { opcode: [0x8d], mnemonic: "lea", operands: ["Gv", "M"] },
  imul: { opcode: [0x0f, 0xaf], mnemonic: "imul", operands: ["Gv", "Ev"] },
  imulImm: { opcode: [0x69], mnemonic: "imul", operands: ["Gv", "Ev", "Iz"] },
  cdq: { opcode: [0x99], mnemonic: "cdq", wide: "cqo", operands: [] }, // sign-extend EAX/RAX into EDX/RDX
  movzx8: { opcode: [0x0f, 0xb6], mnemonic: "movzx", operands: ["Gv", "Eb"] },
  movzx16: { opcode: [0x0f, 0xb7], mnemonic: "movzx", operands: ["Gv", "Ew"] },
  movsx8: { opcode: [0x0f, 0xbe], mnemonic: "movsx", operands: ["Gv", "Eb"] },
  movsx16: { opcode: [0x0f, 0xbf], mnemonic: "movsx", operands: ["Gv", "Ew"] },
  movsxd: { opcode: [0x63], mnemonic: "movsxd", operands: ["Gv", "Ed"] },
  bswap: { opcode: [0x0f, 0xc8], mnemonic: "bswap", operands: ["Zv"] },
  xadd: { opcode: [0x0f, 0xc1], mnemonic: "xadd", operands: ["Ev", "Gv"] }, // with LOCK: fetch-and-add
  cmpxchg: { opcode: [0x0f, 0xb1], mnemonic: "cmpxchg", operands: ["Ev", "Gv"] }, // with LOCK
  xchg: { opcode: [0x87], mnemonic: "xchg", operands: ["Ev", "Gv"] }, // locked implicitly with memory
  push: { opcode: [0x50], mnemonic: "push", operands: ["Zq"] },
  pop: { opcode: [0x58], mnemonic: "pop", operands: ["Zq"] },
  ret: { opcode: [0xc3], mnemonic: "ret", operands: [] },
  callMem: { opcode: [0xff], ext: 2, mnemonic: "call", operands: ["Eq"] }, // helpers through rt's table
  jmpReg: { opcode: [0xff], ext: 4, mnemonic: "jmp", operands: ["Eq"] }, // a tail call to the target program's entry
  stos: { opcode: [0xab], mnemonic: "stos", rep: true, operands: [] }, // REP STOSQ: the stack zeroing
  jmp: { opcode: [0xe9], mnemonic: "jmp", operands: ["Jz"] },
  call: { opcode: [0xe8], mnemonic: "call", operands: ["Jz"] },
} as const satisfies Record<string, Form>;

/** A memory operand [base + disp] (no index: the JIT never needs one). */
export interface Mem {
  readonly base: Reg;
  readonly disp: number;
}

export const mem = (base: Reg, disp = 0): Mem => ({ base, disp });

const fitsI8 = (v: number): boolean => v >= -128 && v <= 127;
export const fitsI32 = (v: bigint | number): boolean => BigInt(v) >= -0x80000000n && BigInt(v) <= 0x7fffffffn;

/** A label: an offset once bound. */
export interface Label {
  offset: number | undefined;
}

interface Fixup {
  /** Where the rel32 field starts. */
  readonly at: number;
  readonly label: Label;
}

/**
 * The emitter buffer. Every instruction is built from the helpers below; jumps and calls
 * to labels write a zero rel32 and a fixup, resolved by finish().
 */
export class X64Emitter {
  readonly bytes: number[] = [];
  private readonly fixups: Fixup[] = [];

  get size(): number {
    return this.bytes.length;
  }

  /** The opcode bytes of a form, `plus` added to the last (a register, a condition code). */
  op(f: Form, plus = 0): void {
    const last = f.opcode.length - 1;
    f.opcode.forEach((b, i) => this.byte(i === last ? b + plus : b));
  }

  byte(...bs: number[]): void {
    for (const b of bs) this.bytes.push(b & 0xff);
  }

  imm8(v: number): void {
    this.byte(v);
  }

  imm16(v: number): void {
    this.byte(v, v >> 8);
  }

  imm32(v: number): void {
    this.byte(v, v >> 8, v >> 16, v >> 24);
  }

  imm64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    for (let i = 0n; i < 64n; i += 8n) this.byte(Number((u >> i) & 0xffn));
  }

  /**
   * REX prefix (SDM 2.2.1): W = 64-bit operand, R extends ModR/M.reg, B extends
   * ModR/M.rm (or the opcode register). `force` emits a bare 0x40 so that byte registers
   * 4-7 mean spl/bpl/sil/dil rather than ah/ch/dh/bh.
   */
  rex(w: boolean, reg: number, rm: number, force = false): void {
    const r = (reg >> 3) & 1;
    const b = (rm >> 3) & 1;
    if (w || r || b || force) this.byte(0x40 | (w ? 8 : 0) | (r << 2) | b);
  }

  modrm(mod: number, reg: number, rm: number): void {
    this.byte((mod << 6) | ((reg & 7) << 3) | (rm & 7));
  }

  /**
   * ModR/M (+ SIB + displacement) for [base + disp] (SDM Tables 2-2, 2-3): rsp/r12 as a
   * base need a SIB byte (0x24: no index); rbp/r13 with mod 00 would mean RIP-relative
   * or disp32-only, so they always take at least a disp8.
   */
  memOperand(reg: number, m: Mem): void {
    const low = m.base & 7;
    const mod = m.disp === 0 && low !== 5 ? 0 : fitsI8(m.disp) ? 1 : 2;
    this.modrm(mod, reg, low === 4 ? 4 : low);
    if (low === 4) this.sib(0, 4, 4);
    if (mod === 1) this.imm8(m.disp);
    else if (mod === 2) this.imm32(m.disp);
  }

  sib(scale: number, index: number, base: number): void {
    this.byte((scale << 6) | ((index & 7) << 3) | (base & 7));
  }

  /** Operand-size prefix for 16-bit operations (SDM 2.1.1, group 3 prefix 66). */
  private size16(w: Width): void {
    if (w === 16) this.byte(PREFIX.opsize);
  }

  // ------------------------------------------------------------------ register forms

  /** `op r/m, r` between registers: ADD/OR/AND/SUB/XOR/CMP dst, src. */
  aluRR(op: AluOp, w: 32 | 64, dst: Reg, src: Reg): void {
    this.rex(w === 64, src, dst);
    this.byte(ALU[op].rr);
    this.modrm(3, src, dst);
  }

  /** Group 1 with an immediate: 83 /digit ib when it fits a sign-extended byte, else 81 /digit id. */
  aluRI(op: AluOp, w: 32 | 64, dst: Reg, imm: number): void {
    this.rex(w === 64, 0, dst);
    if (fitsI8(imm)) {
      this.byte(GROUP_OPCODE.aluImm8);
      this.modrm(3, ALU[op].ext, dst);
      this.imm8(imm);
    } else {
      this.byte(GROUP_OPCODE.aluImm32);
      this.modrm(3, ALU[op].ext, dst);
      this.imm32(imm);
    }
  }

  /** Group 1 against memory with an immediate: CMP [m], imm (used for table reads). */
  aluMI(op: AluOp, w: 32 | 64, m: Mem, imm: number): void {
    this.rex(w === 64, 0, m.base);
    this.byte(fitsI8(imm) ? GROUP_OPCODE.aluImm8 : GROUP_OPCODE.aluImm32);
    this.memOperand(ALU[op].ext, m);
    if (fitsI8(imm)) this.imm8(imm);
    else this.imm32(imm);
  }

  /** `op r, r/m` with a memory source (03/0B/23/2B/33/3B: the rr opcode + 2). */
  aluRM(op: AluOp, w: 32 | 64, dst: Reg, m: Mem): void {
    this.rex(w === 64, dst, m.base);
    this.byte(ALU[op].rr + 2);
    this.memOperand(dst, m);
  }

  /** TEST r/m, r (85 /r). */
  testRR(w: 32 | 64, a: Reg, b: Reg): void {
    this.rex(w === 64, b, a);
    this.op(OP.test);
    this.modrm(3, b, a);
  }

  /** TEST r/m, imm32 (F7 /0 id). */
  testRI(w: 32 | 64, a: Reg, imm: number): void {
    this.rex(w === 64, 0, a);
    this.byte(GROUP_OPCODE.group3);
    this.modrm(3, 0, a);
    this.imm32(imm);
  }

  /** MOV r/m, r (89 /r); the 32-bit form zero-extends, which is BPF's mov32. */
  movRR(w: 32 | 64, dst: Reg, src: Reg): void {
    this.rex(w === 64, src, dst);
    this.op(OP.mov);
    this.modrm(3, src, dst);
  }

  /**
   * A constant into a register, shortest exact form: MOV r32, imm32 (B8+r, zero-extends)
   * for 0..2^32-1, MOV r/m64, imm32 (REX.W C7 /0, sign-extends) for negative int32,
   * else MOV r64, imm64 (REX.W B8+r).
   */
  movRI(dst: Reg, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    if (v <= 0xffffffffn) {
      this.rex(false, 0, dst);
      this.op(OP.movImm, dst & 7);
      this.imm32(Number(v));
    } else if (fitsI32(BigInt.asIntN(64, v))) {
      this.rex(true, 0, dst);
      this.op(OP.movRmImm);
      this.modrm(3, 0, dst);
      this.imm32(Number(BigInt.asIntN(64, v)));
    } else {
      this.rex(true, 0, dst);
      this.op(OP.movImm, dst & 7);
      this.imm64(v);
    }
  }

  /** Group 2 shift by an immediate (C1 /digit ib). */
  shiftRI(op: ShiftOp, w: 16 | 32 | 64, dst: Reg, count: number): void {
    this.size16(w);
    this.rex(w === 64, 0, dst);
    this.byte(GROUP_OPCODE.shiftImm);
    this.modrm(3, SHIFT[op], dst);
    this.imm8(count);
  }

  /** Group 2 shift by CL (D3 /digit); the CPU masks the count to 5 or 6 bits, as BPF does. */
  shiftRCl(op: ShiftOp, w: 32 | 64, dst: Reg): void {
    this.rex(w === 64, 0, dst);
    this.byte(GROUP_OPCODE.shiftCl);
    this.modrm(3, SHIFT[op], dst);
  }

  /** Group 3 on a register: NEG, DIV r/m (RDX:RAX / r), IDIV. */
  group3(op: Group3Op, w: 32 | 64, rm: Reg): void {
    this.rex(w === 64, 0, rm);
    this.byte(GROUP_OPCODE.group3);
    this.modrm(3, GROUP3[op], rm);
  }

  /** IMUL r, r/m (0F AF /r): the low half of the product, the same signed or unsigned. */
  imulRR(w: 32 | 64, dst: Reg, src: Reg): void {
    this.rex(w === 64, dst, src);
    this.op(OP.imul);
    this.modrm(3, dst, src);
  }

  /** IMUL r, r/m, imm32 (69 /r id). */
  imulRRI(w: 32 | 64, dst: Reg, src: Reg, imm: number): void {
    this.rex(w === 64, dst, src);
    this.op(OP.imulImm);
    this.modrm(3, dst, src);
    this.imm32(imm);
  }

  /** CDQ / CQO (99): sign-extend EAX/RAX into EDX/RDX before IDIV. */
  signExtendAx(w: 32 | 64): void {
    this.rex(w === 64, 0, 0);
    this.op(OP.cdq);
  }

  /** MOVZX r32, r/m8|16 (0F B6/B7) and MOVSX r, r/m8|16 (0F BE/BF), MOVSXD r64, r/m32 (63). */
  extendRR(signed: boolean, from: 8 | 16 | 32, to: 32 | 64, dst: Reg, src: Reg): void {
    if (from === 32) {
      this.rex(true, dst, src);
      this.op(OP.movsxd);
    } else {
      this.rex(to === 64, dst, src, from === 8 && src >= 4 && src <= 7);
      this.op(from === 16 ? (signed ? OP.movsx16 : OP.movzx16) : signed ? OP.movsx8 : OP.movzx8);
    }
    this.modrm(3, dst, src);
  }

  /** BSWAP r32/r64 (0F C8+r). */
  bswap(w: 32 | 64, dst: Reg): void {
    this.rex(w === 64, 0, dst);
    this.op(OP.bswap, dst & 7);
  }

  // ------------------------------------------------------------------ memory forms

  /** Loads: MOVZX r32 (1, 2 bytes), MOV r32 (4), MOV r64 (8); signed: MOVSX/MOVSXD r64. */
  load(size: 1 | 2 | 4 | 8, signed: boolean, dst: Reg, m: Mem): void {
    if (size === 8 || (size === 4 && !signed)) {
      this.rex(size === 8, dst, m.base);
      this.op(OP.load);
    } else if (size === 4) {
      this.rex(true, dst, m.base);
      this.op(OP.movsxd);
    } else {
      this.rex(signed, dst, m.base);
      this.op(size === 2 ? (signed ? OP.movsx16 : OP.movzx16) : signed ? OP.movsx8 : OP.movzx8);
    }
    this.memOperand(dst, m);
  }

  /** Stores of a register: MOV r/m8 (88), r/m16 (66 89), r/m32 (89), r/m64 (REX.W 89). */
  store(size: 1 | 2 | 4 | 8, m: Mem, src: Reg): void {
    if (size === 2) this.byte(PREFIX.opsize);
    this.rex(size === 8, src, m.base, size === 1 && src >= 4 && src <= 7);
    this.op(size === 1 ? OP.store8 : OP.mov);
    this.memOperand(src, m);
  }

  /** Stores of an immediate: C6 /0 ib, 66 C7 /0 iw, C7 /0 id, REX.W C7 /0 id (sign-extended). */
  storeImm(size: 1 | 2 | 4 | 8, m: Mem, imm: number): void {
    if (size === 2) this.byte(PREFIX.opsize);
    this.rex(size === 8, 0, m.base);
    this.op(size === 1 ? OP.movRmImm8 : OP.movRmImm);
    this.memOperand(0, m);
    if (size === 1) this.imm8(imm);
    else if (size === 2) this.imm16(imm);
    else this.imm32(imm);
  }

  /** LEA r64, [base + disp] (8D /r). */
  lea(dst: Reg, m: Mem): void {
    this.rex(true, dst, m.base);
    this.op(OP.lea);
    this.memOperand(dst, m);
  }

  /** LOCK-prefixed `op [m], r` (F0; SDM "LOCK"): the atomic add/or/and/xor without fetch. */
  lockAluMR(op: AluOp, w: 32 | 64, m: Mem, src: Reg): void {
    this.byte(PREFIX.lock);
    this.rex(w === 64, src, m.base);
    this.byte(ALU[op].rr);
    this.memOperand(src, m);
  }

  /** LOCK XADD [m], r (F0 0F C1 /r): fetch-and-add. */
  lockXadd(w: 32 | 64, m: Mem, src: Reg): void {
    this.byte(PREFIX.lock);
    this.rex(w === 64, src, m.base);
    this.op(OP.xadd);
    this.memOperand(src, m);
  }

  /** LOCK CMPXCHG [m], r (F0 0F B1 /r): compares with RAX, the old value in RAX. */
  lockCmpxchg(w: 32 | 64, m: Mem, src: Reg): void {
    this.byte(PREFIX.lock);
    this.rex(w === 64, src, m.base);
    this.op(OP.cmpxchg);
    this.memOperand(src, m);
  }

  /** XCHG [m], r (87 /r): locked implicitly when one operand is memory (SDM "XCHG"). */
  xchgMR(w: 32 | 64, m: Mem, src: Reg): void {
    this.rex(w === 64, src, m.base);
    this.op(OP.xchg);
    this.memOperand(src, m);
  }

  /** MOV r64, [m] (REX.W 8B /r). */
  loadQ(dst: Reg, m: Mem): void {
    this.load(8, false, dst, m);
  }

  // ------------------------------------------------------------------ control flow

  push(r: Reg): void {
    this.rex(false, 0, r);
    this.op(OP.push, r & 7);
  }

  pop(r: Reg): void {
    this.rex(false, 0, r);
    this.op(OP.pop, r & 7);
  }

  ret(): void {
    this.op(OP.ret);
  }

  /** CALL [m] (FF /2): a helper through the runtime's table of function pointers. */
  callMem(m: Mem): void {
    this.rex(false, 0, m.base);
    this.op(OP.callMem);
    this.memOperand(2, m);
  }

  /** JMP r64 (FF /4): a tail call jumps to the target program's entry. */
  jmpR(r: Reg): void {
    this.rex(false, 0, r);
    this.op(OP.jmpReg);
    this.modrm(3, 4, r);
  }

  /** REP STOSQ (F3 REX.W AB): zero-fills the BPF stack at entry. */
  repStosq(): void {
    this.byte(PREFIX.rep);
    this.rex(true, 0, 0);
    this.op(OP.stos);
  }

  newLabel(): Label {
    return { offset: undefined };
  }

  bind(l: Label): void {
    if (l.offset !== undefined) throw new Error("bug: label bound twice");
    l.offset = this.size;
  }

  /** JMP rel32 (E9): every jump is rel32, so code size never depends on layout. */
  jmp(l: Label): void {
    this.op(OP.jmp);
    this.rel32(l);
  }

  /** Jcc rel32 (0F 80+cc). */
  jcc(cc: Cond, l: Label): void {
    this.byte(0x0f, GROUP_OPCODE.jcc + CC[cc]);
    this.rel32(l);
  }

  /** CALL rel32 (E8): bpf-to-bpf calls. */
  call(l: Label): void {
    this.op(OP.call);
    this.rel32(l);
  }

  private rel32(l: Label): void {
    this.fixups.push({ at: this.size, label: l });
    this.imm32(0);
  }

  /** Resolves every fixup: rel32 is relative to the end of the 4-byte field. */
  finish(): Uint8Array {
    for (const f of this.fixups) {
      if (f.label.offset === undefined) throw new Error("bug: jump to an unbound label");
      const rel = f.label.offset - (f.at + 4);
      for (let i = 0; i < 4; i++) this.bytes[f.at + i] = (rel >> (8 * i)) & 0xff;
    }
    return Uint8Array.from(this.bytes);
  }
}
