// The BPF instruction set as data (RFC 9669 §3-§5). Every instruction form bpfoff
// knows is one row of FORMS below; the encoder, the decoder, the assembler and the
// disassembler all read this one table, so a new form is one new row.

/** RFC 9669 §3.3: the three low bits of the opcode. */
export const CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
/** RFC 9669 §4: bit 3 of arithmetic and jump opcodes selects imm (K) or src register (X). */
export const SRC = { K: 0x00, X: 0x08 } as const;
/** RFC 9669 §5: load/store size bits. */
export const SIZE = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
/** RFC 9669 §5: load/store mode bits. ABS/IND are the legacy packet loads (§5.5). */
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Bytes moved by each size code. */
export const SIZE_BYTES: Record<number, 1 | 2 | 4 | 8> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
/** Mnemonic suffix of each size in the ubpf / conformance-suite syntax. */
export const SIZE_SUFFIX: Record<number, string> = { 0x00: "w", 0x08: "h", 0x10: "b", 0x18: "dw" };

/** RFC 9669 §4.1 arithmetic operation codes (high nibble). */
export const ALU_OPS = [
  { name: "add", code: 0x00, sym: "+=" },
  { name: "sub", code: 0x10, sym: "-=" },
  { name: "mul", code: 0x20, sym: "*=" },
  { name: "div", code: 0x30, sym: "/=" }, // offset 1 selects sdiv (signed), RFC 9669 §4.1
  { name: "or", code: 0x40, sym: "|=" },
  { name: "and", code: 0x50, sym: "&=" },
  { name: "lsh", code: 0x60, sym: "<<=" },
  { name: "rsh", code: 0x70, sym: ">>=" },
  { name: "neg", code: 0x80, sym: "= -" }, // unary: no source operand
  { name: "mod", code: 0x90, sym: "%=" }, // offset 1 selects smod
  { name: "xor", code: 0xa0, sym: "^=" },
  { name: "mov", code: 0xb0, sym: "=" }, // offset 8/16/32 with X selects movsx
  { name: "arsh", code: 0xc0, sym: "s>>=" },
  { name: "end", code: 0xd0, sym: "" }, // byte swaps, RFC 9669 §4.2
] as const;
export type AluOpName = (typeof ALU_OPS)[number]["name"];

/** RFC 9669 §4.3 jump operation codes (high nibble). */
export const JMP_OPS = [
  { name: "ja", code: 0x00, sym: "" },
  { name: "jeq", code: 0x10, sym: "==" },
  { name: "jgt", code: 0x20, sym: ">" },
  { name: "jge", code: 0x30, sym: ">=" },
  { name: "jset", code: 0x40, sym: "&" },
  { name: "jne", code: 0x50, sym: "!=" },
  { name: "jsgt", code: 0x60, sym: "s>" },
  { name: "jsge", code: 0x70, sym: "s>=" },
  { name: "call", code: 0x80, sym: "" },
  { name: "exit", code: 0x90, sym: "" },
  { name: "jlt", code: 0xa0, sym: "<" },
  { name: "jle", code: 0xb0, sym: "<=" },
  { name: "jslt", code: 0xc0, sym: "s<" },
  { name: "jsle", code: 0xd0, sym: "s<=" },
] as const;
export type JmpOpName = (typeof JMP_OPS)[number]["name"];

/** RFC 9669 §5.3 atomic operations, carried in imm. FETCH (0x01) returns the old value in src. */
export const ATOMIC_OPS = [
  { name: "add", imm: 0x00 },
  { name: "or", imm: 0x40 },
  { name: "and", imm: 0x50 },
  { name: "xor", imm: 0xa0 },
  { name: "fetch add", imm: 0x01 },
  { name: "fetch or", imm: 0x41 },
  { name: "fetch and", imm: 0x51 },
  { name: "fetch xor", imm: 0xa1 },
  { name: "xchg", imm: 0xe1 }, // always fetches
  { name: "cmpxchg", imm: 0xf1 }, // compares with r0, old value to r0
] as const;

/** RFC 9669 §5.4 lddw pseudo sources (src field of the first slot). */
export const LDDW_SRC = [
  { src: 0, name: "imm", doc: "dst = imm64" },
  { src: 1, name: "map_fd", doc: "dst = map_by_fd(imm): a map reference" },
  { src: 2, name: "map_value", doc: "dst = map_val(map_by_fd(imm)) + next_imm" },
  { src: 3, name: "var_addr", doc: "dst = var_addr(imm)" },
  { src: 4, name: "code_addr", doc: "dst = code_addr(imm)" },
  { src: 5, name: "map_idx", doc: "dst = map_by_idx(imm)" },
  { src: 6, name: "map_idx_value", doc: "dst = map_val(map_by_idx(imm)) + next_imm" },
] as const;

/** RFC 9669 §4.3.1 call sources. */
export const CALL_SRC = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/**
 * Operand shapes. Each shape says which fields are operands; every other field of the
 * slot must be zero (RFC 9669 §3: "unused fields ... MUST be set to zero") unless the
 * row fixes it to a value (off for sdiv/movsx, imm for byte swaps and atomics).
 */
export type Shape =
  | "alu_imm" // dst, imm
  | "alu_reg" // dst, src
  | "unary" // dst
  | "movsx" // dst, src (off fixed)
  | "end" // dst (imm fixed)
  | "ldx" // dst, [src+off]
  | "st" // [dst+off], imm
  | "stx" // [dst+off], src
  | "atomic" // [dst+off], src (imm fixed)
  | "lddw" // dst, imm64 (two slots; src fixed)
  | "ldabs" // imm (legacy packet load into r0)
  | "ldind" // src, imm (legacy packet load into r0)
  | "ja" // off
  | "ja32" // imm as offset
  | "jmp_imm" // dst, imm, off
  | "jmp_reg" // dst, src, off
  | "call" // imm (src fixed)
  | "callx" // dst holds the target
  | "exit"; // nothing

export type Field = "dst" | "src" | "off" | "imm";

/** Which fields each shape uses as operands; the others must be zero or fixed. */
export const SHAPE_FIELDS: Record<Shape, readonly Field[]> = {
  alu_imm: ["dst", "imm"],
  alu_reg: ["dst", "src"],
  unary: ["dst"],
  movsx: ["dst", "src"],
  end: ["dst"],
  ldx: ["dst", "src", "off"],
  st: ["dst", "off", "imm"],
  stx: ["dst", "src", "off"],
  atomic: ["dst", "src", "off"],
  lddw: ["dst", "imm"],
  ldabs: ["imm"],
  ldind: ["src", "imm"],
  ja: ["off"],
  ja32: ["imm"],
  jmp_imm: ["dst", "imm", "off"],
  jmp_reg: ["dst", "src", "off"],
  call: ["imm"],
  callx: ["dst"],
  exit: [],
};

/** The ISA conformance groups of RFC 9669 §2.2 (plus "packet" for the legacy loads). */
export type Group = "base32" | "base64" | "atomic32" | "atomic64" | "divmul32" | "divmul64" | "packet";

/** One instruction form: a mnemonic, its opcode, its operand shape, and any fixed fields. */
export interface Form {
  readonly mnemonic: string;
  readonly opcode: number;
  readonly shape: Shape;
  readonly group: Group;
  /** Fields fixed by the form (not operands), e.g. off = 1 for sdiv. */
  readonly fixed: Readonly<Partial<Record<Field, number>>>;
}

function aluForms(): Form[] {
  const forms: Form[] = [];
  for (const [cls, suffix, width] of [
    [CLASS.ALU64, "", 64],
    [CLASS.ALU, "32", 32],
  ] as const) {
    const base = width === 64 ? "base64" : "base32";
    const divmul = width === 64 ? "divmul64" : "divmul32";
    for (const op of ALU_OPS) {
      if (op.name === "end") continue;
      if (op.name === "neg") {
        forms.push({ mnemonic: `neg${suffix}`, opcode: cls | op.code, shape: "unary", group: base, fixed: {} });
        continue;
      }
      const group = op.name === "mul" || op.name === "div" || op.name === "mod" ? divmul : base;
      forms.push({ mnemonic: `${op.name}${suffix}`, opcode: cls | SRC.K | op.code, shape: "alu_imm", group, fixed: { off: 0 } });
      forms.push({ mnemonic: `${op.name}${suffix}`, opcode: cls | SRC.X | op.code, shape: "alu_reg", group, fixed: { off: 0 } });
      if (op.name === "div" || op.name === "mod") {
        // RFC 9669 §4.1: offset 1 makes DIV and MOD signed.
        const s = `s${op.name}${suffix}`;
        forms.push({ mnemonic: s, opcode: cls | SRC.K | op.code, shape: "alu_imm", group, fixed: { off: 1 } });
        forms.push({ mnemonic: s, opcode: cls | SRC.X | op.code, shape: "alu_reg", group, fixed: { off: 1 } });
      }
    }
  }
  // RFC 9669 §4.1 MOVSX: ALU sign-extends 8/16 bits into 32; ALU64 8/16/32 into 64.
  for (const bits of [8, 16]) {
    forms.push({ mnemonic: `movsx${bits}32`, opcode: CLASS.ALU | SRC.X | 0xb0, shape: "movsx", group: "base32", fixed: { off: bits } });
  }
  for (const bits of [8, 16, 32]) {
    forms.push({ mnemonic: `movsx${bits}64`, opcode: CLASS.ALU64 | SRC.X | 0xb0, shape: "movsx", group: "base64", fixed: { off: bits } });
  }
  // RFC 9669 §4.2 byte swaps: ALU|END|TO_LE (le), ALU|END|TO_BE (be), ALU64|END (bswap).
  for (const bits of [16, 32, 64]) {
    forms.push({ mnemonic: `le${bits}`, opcode: CLASS.ALU | SRC.K | 0xd0, shape: "end", group: "base32", fixed: { imm: bits } });
    forms.push({ mnemonic: `be${bits}`, opcode: CLASS.ALU | SRC.X | 0xd0, shape: "end", group: "base32", fixed: { imm: bits } });
    forms.push({ mnemonic: `bswap${bits}`, opcode: CLASS.ALU64 | SRC.K | 0xd0, shape: "end", group: "base64", fixed: { imm: bits } });
  }
  return forms;
}

function memoryForms(): Form[] {
  const forms: Form[] = [];
  for (const size of [SIZE.B, SIZE.H, SIZE.W, SIZE.DW]) {
    const sfx = SIZE_SUFFIX[size];
    const group: Group = size === SIZE.DW ? "base64" : "base32";
    forms.push({ mnemonic: `ldx${sfx}`, opcode: CLASS.LDX | MODE.MEM | size, shape: "ldx", group, fixed: {} });
    forms.push({ mnemonic: `st${sfx}`, opcode: CLASS.ST | MODE.MEM | size, shape: "st", group, fixed: {} });
    forms.push({ mnemonic: `stx${sfx}`, opcode: CLASS.STX | MODE.MEM | size, shape: "stx", group, fixed: {} });
    if (size !== SIZE.DW) {
      // RFC 9669 §5.2 sign-extending loads exist for 1, 2 and 4 bytes.
      forms.push({ mnemonic: `ldxs${sfx}`, opcode: CLASS.LDX | MODE.MEMSX | size, shape: "ldx", group: "base64", fixed: {} });
    }
    if (size !== SIZE.DW) {
      // RFC 9669 §5.5 legacy packet access (ABS/IND), for classic-BPF-derived programs: B, H, W only.
      forms.push({ mnemonic: `ldabs${sfx}`, opcode: CLASS.LD | MODE.ABS | size, shape: "ldabs", group: "packet", fixed: {} });
      forms.push({ mnemonic: `ldind${sfx}`, opcode: CLASS.LD | MODE.IND | size, shape: "ldind", group: "packet", fixed: {} });
    }
  }
  // RFC 9669 §5.3 atomics exist for W and DW only.
  for (const [size, suffix, group] of [
    [SIZE.DW, "", "atomic64"],
    [SIZE.W, "32", "atomic32"],
  ] as const) {
    for (const a of ATOMIC_OPS) {
      forms.push({ mnemonic: `lock ${a.name}${suffix}`, opcode: CLASS.STX | MODE.ATOMIC | size, shape: "atomic", group, fixed: { imm: a.imm } });
    }
  }
  for (const l of LDDW_SRC) {
    forms.push({ mnemonic: "lddw", opcode: CLASS.LD | MODE.IMM | SIZE.DW, shape: "lddw", group: "base64", fixed: { src: l.src } });
  }
  return forms;
}

function jumpForms(): Form[] {
  const forms: Form[] = [];
  for (const [cls, suffix] of [
    [CLASS.JMP, ""],
    [CLASS.JMP32, "32"],
  ] as const) {
    const group: Group = cls === CLASS.JMP ? "base64" : "base32";
    for (const op of JMP_OPS) {
      if (op.name === "call" || op.name === "exit") continue;
      if (op.name === "ja") {
        // RFC 9669 §4.3: JA in the JMP32 class takes its offset from imm (gotol).
        forms.push(
          cls === CLASS.JMP
            ? { mnemonic: "ja", opcode: cls | op.code, shape: "ja", group, fixed: {} }
            : { mnemonic: "ja32", opcode: cls | op.code, shape: "ja32", group, fixed: {} },
        );
        continue;
      }
      forms.push({ mnemonic: `${op.name}${suffix}`, opcode: cls | SRC.K | op.code, shape: "jmp_imm", group, fixed: {} });
      forms.push({ mnemonic: `${op.name}${suffix}`, opcode: cls | SRC.X | op.code, shape: "jmp_reg", group, fixed: {} });
    }
  }
  forms.push({ mnemonic: "call", opcode: CLASS.JMP | 0x80, shape: "call", group: "base32", fixed: { src: CALL_SRC.HELPER } });
  forms.push({ mnemonic: "call local", opcode: CLASS.JMP | 0x80, shape: "call", group: "base32", fixed: { src: CALL_SRC.LOCAL } });
  forms.push({ mnemonic: "call kfunc", opcode: CLASS.JMP | 0x80, shape: "call", group: "base32", fixed: { src: CALL_SRC.KFUNC } });
  // callx: CALL|X with the target in dst, as LLVM and ubpf encode it.
  forms.push({ mnemonic: "callx", opcode: CLASS.JMP | SRC.X | 0x80, shape: "callx", group: "base32", fixed: {} });
  forms.push({ mnemonic: "exit", opcode: CLASS.JMP | 0x90, shape: "exit", group: "base32", fixed: {} });
  return forms;
}

/** Every instruction form, in a fixed order (the disassembler picks the first match). */
export const FORMS: readonly Form[] = [...aluForms(), ...memoryForms(), ...jumpForms()];

function groupBy<K>(key: (f: Form) => K): ReadonlyMap<K, readonly Form[]> {
  const m = new Map<K, Form[]>();
  for (const f of FORMS) m.set(key(f), [...(m.get(key(f)) ?? []), f]);
  return m;
}

/** Forms by opcode byte: the decoder's first index. */
export const FORMS_BY_OPCODE: ReadonlyMap<number, readonly Form[]> = groupBy((f) => f.opcode);

/** Forms by mnemonic: the assembler's index (a mnemonic may name an imm and a reg form). */
export const FORMS_BY_MNEMONIC: ReadonlyMap<string, readonly Form[]> = groupBy((f) => f.mnemonic);

/** Mnemonic spellings the assembler accepts besides the canonical ones. */
export const MNEMONIC_ALIASES: Readonly<Record<string, string>> = {
  // ubpf accepts an explicit 64 suffix for ALU64 ops.
  ...Object.fromEntries(ALU_OPS.filter((o) => o.name !== "end").map((o) => [`${o.name}64`, o.name])),
  sdiv64: "sdiv",
  smod64: "smod",
  // The conformance suite spells the unconditional byte swap "swapN".
  swap16: "bswap16",
  swap32: "bswap32",
  swap64: "bswap64",
  gotol: "ja32",
};

export const FRAME_POINTER = 10;
export const REG_COUNT = 11;
export const STACK_SIZE = 512;
