// The NPU micro-engine's instruction set as data (docs/npu-isa.md): registers, condition
// codes, opcodes and the bit layout of the 64-bit microword. The encoder, the decoder, the
// printer, the assembler, the code generator and the simulator all read these tables;
// nothing here holds state.
//
// The engine is in the family of the Intel IXP and Netronome NFP micro-engines: a 32-bit
// datapath, 8 threads with their own registers, two register banks an ALU instruction
// reads one operand from each of, transfer registers between the datapath and memory, and
// memory and lookup commands that complete after a latency and raise a signal.

/** Per-thread register file sizes. */
export const BANK_SIZE = 16;
export const XFER_READ = 16;
/** Write transfer registers: operand codes 48..61, the last two codes are sa and none. */
export const XFER_WRITE = 14;
export const SIGNALS = 8;
/** Threads per engine: the context field of the engine's scheduler is three bits. */
export const THREADS = 8;

/**
 * Operand codes (6 bits). A and B banks are the general registers; `$rN` are read transfer
 * registers (memory and lookup results land there), `$wN` write transfer registers (store
 * data and helper arguments go out from there); `sa` is the shift-amount register a
 * variable shift reads (IXP's indirect shift); `none` discards an ALU result, for compares.
 */
export type Operand =
  | { readonly kind: "A"; readonly n: number }
  | { readonly kind: "B"; readonly n: number }
  | { readonly kind: "xr"; readonly n: number }
  | { readonly kind: "xw"; readonly n: number }
  | { readonly kind: "sa" }
  | { readonly kind: "none" };

export const OPERAND_CODES = {
  A: 0, // A0-A15: the a-side bank
  B: 16, // B0-B15: the b-side bank
  xr: 32, // $r0-$r15: readable on either side, written only by memory, lookup and helper answers
  xw: 48, // $w0-$w13: destinations only; commands read them
  sa: 62, // destination only: the shift amount for `sh = sa`
  none: 63, // destination only: the result is dropped, the condition codes are kept
} as const;

export function operandCode(o: Operand): number {
  switch (o.kind) {
    case "A": case "B": case "xr": case "xw": return OPERAND_CODES[o.kind] + o.n;
    default: return OPERAND_CODES[o.kind];
  }
}

export function operandOf(code: number): Operand {
  if (code < 16) return { kind: "A", n: code };
  if (code < 32) return { kind: "B", n: code - 16 };
  if (code < 48) return { kind: "xr", n: code - 32 };
  if (code < 62) return { kind: "xw", n: code - 48 };
  return code === 62 ? { kind: "sa" } : { kind: "none" };
}

export function operandText(o: Operand): string {
  switch (o.kind) {
    case "A": case "B": return `${o.kind}${o.n}`;
    case "xr": return `$r${o.n}`;
    case "xw": return `$w${o.n}`;
    default: return o.kind;
  }
}

export const A = (n: number): Operand => ({ kind: "A", n });
export const B = (n: number): Operand => ({ kind: "B", n });
export const XR = (n: number): Operand => ({ kind: "xr", n });
export const XW = (n: number): Operand => ({ kind: "xw", n });
export const SA: Operand = { kind: "sa" };
export const NONE: Operand = { kind: "none" };

/** Where an operand may stand: the bank rule every ALU instruction obeys. */
export const canBeA = (o: Operand): boolean => o.kind === "A" || o.kind === "xr";
export const canBeB = (o: Operand): boolean => o.kind === "B" || o.kind === "xr";
export const canBeDst = (o: Operand): boolean => o.kind !== "xr";

/**
 * Condition codes (4 bits), ARM's set: ALU instructions set N, Z, C (carry out of add,
 * no-borrow out of sub) and V; branches test them. Moves leave them alone, so that the
 * register allocator's moves may go between a compare and its branch.
 */
export const CONDITIONS = [
  ["al", "always"],
  ["eq", "Z"],
  ["ne", "!Z"],
  ["cs", "C: unsigned >= after sub"],
  ["cc", "!C: unsigned < after sub"],
  ["mi", "N"],
  ["pl", "!N"],
  ["vs", "V"],
  ["vc", "!V"],
  ["hi", "C && !Z"],
  ["ls", "!C || Z"],
  ["ge", "N == V: signed >="],
  ["lt", "N != V: signed <"],
  ["gt", "!Z && N == V"],
  ["le", "Z || N != V"],
  ["nv", "never (a no-op branch, kept for the encoding's symmetry)"],
] as const;
export type Cond = (typeof CONDITIONS)[number][0];
export const COND_CODE: ReadonlyMap<string, number> = new Map(CONDITIONS.map(([c], i) => [c, i]));

/** Atomic memory operations (the `cond` field of `atom`), as RFC 9669 §5.3 lists them. */
export const ATOMIC_OPS = ["add", "or", "and", "xor", "fetch_add", "fetch_or", "fetch_and", "fetch_xor", "xchg", "cmpxchg"] as const;
/**
 * Lookup engine requests (the `cond` field of `lkp`). `tail`: bpf_tail_call, the index in
 * a (its high word in b), the prog_array in the map field, the number of programs in the
 * image in imm: a found entry p (below the 33-call limit) sends the thread to address 1 + p,
 * program p's slot in the tail-call table at the top of the image; otherwise the answer is
 * -ENOENT and the thread goes on.
 */
export const LOOKUP_KINDS = ["lookup", "update", "delete", "elem", "tail"] as const;
/** Access sizes of memory commands (the 2-bit size field): bytes. */
export const MEM_SIZES = [1, 2, 4, 8] as const;

/**
 * Instruction formats: which fields an opcode uses, and so how it prints and parses.
 *   alu   dst, a, b|#imm      sets the condition codes
 *   mov   dst, a|b|#imm       movb/mova: no flags
 *   imm   dst, #imm16         immw1: the upper half of dst, the lower kept (IXP immed_w1)
 *   sh    dst, a, amount      amount: 0..63 or sa
 *   dsh   dst, a, b, amount   a:b as one 64-bit word (a the upper half)
 *   un    dst, a
 *   br    cond target
 *   bl    dst, target         dst = the next address
 *   rtn   a                   jump to the address in a
 *   mem   $x, [a+off], size, sig[, swap]
 *   atom  $x, [a+off], size, op, sig[, swap]
 *   lkp   $x, map, a, b, #flags, kind, sig[, swap]
 *   hlp   $x, helper, sig[, swap]
 *   wait  signal mask
 *   none
 */
export type Format = "alu" | "mov" | "imm" | "sh" | "dsh" | "un" | "br" | "bl" | "rtn" | "mem" | "atom" | "lkp" | "hlp" | "wait" | "none";

export interface OpInfo {
  readonly name: string;
  readonly code: number;
  readonly format: Format;
  /** Issue cycles on the engine beyond the first (multiply steps). */
  readonly doc: string;
}

/** Opcodes (6 bits). Codes are grouped by unit so that a decoder can route on the top bits. */
export const OPS: readonly OpInfo[] = [
  { name: "nop", code: 0x00, format: "none", doc: "does nothing for a cycle" },
  // ALU, 0x01-0x0f: one operand from each bank; every one sets N Z C V.
  { name: "add", code: 0x01, format: "alu", doc: "dst = a + b" },
  { name: "addc", code: 0x02, format: "alu", doc: "dst = a + b + C: the high word of a 64-bit add" },
  { name: "sub", code: 0x03, format: "alu", doc: "dst = a - b; C = no borrow" },
  { name: "subc", code: 0x04, format: "alu", doc: "dst = a - b - !C: the high word of a 64-bit subtract or compare" },
  { name: "rsub", code: 0x05, format: "alu", doc: "dst = b - a: negation with b = #0" },
  { name: "rsubc", code: 0x06, format: "alu", doc: "dst = b - a - !C" },
  { name: "and", code: 0x07, format: "alu", doc: "dst = a & b" },
  { name: "or", code: 0x08, format: "alu", doc: "dst = a | b" },
  { name: "xor", code: 0x09, format: "alu", doc: "dst = a ^ b" },
  { name: "mul_lo", code: 0x0a, format: "alu", doc: "dst = low word of a * b (multiply-step unit: timing.mul_cycles)" },
  { name: "mul_hi", code: 0x0b, format: "alu", doc: "dst = high word of unsigned a * b (multiply-step unit)" },
  // Shifter, 0x10-0x17.
  { name: "shl", code: 0x10, format: "sh", doc: "dst = a << n; 0 when n >= 32" },
  { name: "shr", code: 0x11, format: "sh", doc: "dst = a >> n logical; 0 when n >= 32" },
  { name: "asr", code: 0x12, format: "sh", doc: "dst = a >> n arithmetic; sign when n >= 32" },
  { name: "dshl", code: 0x13, format: "dsh", doc: "dst = high word of (a:b) << n, n < 64: the high word of a 64-bit shift left" },
  { name: "dshr", code: 0x14, format: "dsh", doc: "dst = low word of (a:b) >> n logical: the low word of a 64-bit shift right" },
  { name: "dasr", code: 0x15, format: "dsh", doc: "dst = low word of (a:b) >> n arithmetic" },
  { name: "bswap", code: 0x16, format: "un", doc: "dst = a with its four bytes reversed" },
  // Moves and immediates, 0x18-0x1b: no flags.
  { name: "mova", code: 0x18, format: "mov", doc: "dst = a" },
  { name: "movb", code: 0x19, format: "mov", doc: "dst = b or the immediate" },
  { name: "immw1", code: 0x1a, format: "imm", doc: "dst = imm16 << 16 | (dst & 0xffff)" },
  // Sequencer, 0x20-0x27.
  { name: "br", code: 0x20, format: "br", doc: "branch on a condition (1 cycle; taken or not)" },
  { name: "bl", code: 0x21, format: "bl", doc: "branch and link: dst = the next address" },
  { name: "rtn", code: 0x22, format: "rtn", doc: "jump to the address in a register" },
  { name: "wait", code: 0x23, format: "wait", doc: "ctx_arb: sleep until every signal of the mask has arrived, then clear them" },
  { name: "done", code: 0x24, format: "none", doc: "the packet is done: verdict in $w0 (low) and $w1 (high); the thread goes idle" },
  { name: "ordx", code: 0x25, format: "none", doc: "the packet issues no more ordered commands: later packets' ordered commands may go ahead" },
  // Commands, 0x30-0x3f: go to a memory or the lookup engine's queue, answer after a latency with a signal.
  { name: "rd", code: 0x30, format: "mem", doc: "read size bytes at a+off into $x ($x+1 for 8 bytes), zero-extended" },
  { name: "wr", code: 0x31, format: "mem", doc: "write size bytes from $w x ($w x+1) to a+off" },
  { name: "atom", code: 0x32, format: "atom", doc: "atomic op at a+off with $w x; the old value into $r x for fetch/xchg/cmpxchg (compare value in $w x+2)" },
  { name: "lkp", code: 0x33, format: "lkp", doc: "lookup engine: lookup/update/delete with the key at address a (value at b), elem: array element address of index a; answer in $r x" },
  { name: "hlp", code: 0x34, format: "hlp", doc: "helper unit: helper number with arguments in $w0..$w9 (pairs); the 64-bit answer in $r x, $r x+1" },
];

export const OP_BY_NAME: ReadonlyMap<string, OpInfo> = new Map(OPS.map((o) => [o.name, o]));
export const OP_BY_CODE: ReadonlyMap<number, OpInfo> = new Map(OPS.map((o) => [o.code, o]));

/**
 * The microword's fields: [name, low bit, width]. 64 bits: wider than NFP's 44 so that
 * every field has its own place and the decoder needs no per-format table of overlaps.
 */
export const FIELDS = [
  ["op", 58, 6], // opcode (OPS)
  ["cond", 54, 4], // branch condition; atomic op; lookup kind
  ["dst", 48, 6], // destination operand code
  ["a", 42, 6], // a-side operand code (A bank or $r); address register of commands
  ["b", 36, 6], // b-side operand code (B bank or $r); value address of lkp update
  ["bimm", 35, 1], // b is the immediate instead of a register
  ["ihi", 34, 1], // the immediate is imm16 << 16
  ["inv", 33, 1], // the immediate is inverted (after the shift): ~0 in one word
  ["sh", 26, 7], // shift amount 0..63, 64 = sa; lkp: the map number
  ["size", 24, 2], // command size: MEM_SIZES index
  ["xfer", 20, 4], // command transfer register
  ["sig", 17, 3], // command signal
  ["swap", 16, 1], // sleep on the command's signal at once (a command then a wait, in one word)
  ["imm", 0, 16], // immediate; branch target; command offset (signed); helper number; wait mask
  // Commands have no destination register: bit 0 of the dst field is theirs. It marks a
  // command on state another packet writes; the engine issues it in packet order
  // (docs/npu-isa.md §Packet order). Overlaps dst, so a word sets one or the other.
  ["ord", 48, 1],
  // Commands have no b-side immediate either: bit 35 is `rel` on an ordered lkp.lookup.
  // When the key is found, the packet releases packet order as the lookup issues, as an
  // `ordx` would: the code generator sets it only where the found path issues no ordered
  // command (codegen/ordering.ts releasesOnHit), so that the lookup engine, which knows at
  // issue whether the key is there, ends the packet's ordered section without the thread
  // waiting out the lookup's latency. Overlaps bimm.
  ["rel", 35, 1],
] as const;
export type FieldName = (typeof FIELDS)[number][0];

/** A decoded microword: every field as a number. */
export type Word = Readonly<Record<FieldName, number>>;

export const SH_SA = 64;

export function emptyWord(): Record<FieldName, number> {
  return Object.fromEntries(FIELDS.map(([n]) => [n, 0])) as Record<FieldName, number>;
}

export function encodeWord(w: Word): bigint {
  let out = 0n;
  for (const [name, lo, width] of FIELDS) {
    const v = w[name];
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** width) throw new Error(`bug: microword field ${name} = ${v} does not fit ${width} bits`);
    out |= BigInt(v) << BigInt(lo);
  }
  return out;
}

export function decodeWord(bits: bigint): Word {
  const w = emptyWord();
  for (const [name, lo, width] of FIELDS) w[name] = Number((bits >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
  return w;
}

/** The value of the b-side immediate. */
export function immValue(w: Word): number {
  let v = w.ihi ? (w.imm << 16) >>> 0 : w.imm;
  if (w.inv) v = ~v >>> 0;
  return v;
}

/** The signed 16-bit command offset. */
export const offsetOf = (w: Word): number => (w.imm << 16) >> 16;

function immText(w: Word): string {
  return `#${w.inv ? "~" : ""}0x${w.imm.toString(16)}${w.ihi ? "<<16" : ""}`;
}

const shText = (sh: number): string => (sh === SH_SA ? "sa" : String(sh));
const sigText = (w: Word): string => `sig${w.sig}${w.swap ? ", swap" : ""}${w.ord ? ", ord" : ""}${w.rel && OP_BY_CODE.get(w.op)?.format === "lkp" ? ", rel" : ""}`;

/** One microword as assembler text (the assembler reads it back to the same bits). */
export function printWord(w: Word): string {
  const info = OP_BY_CODE.get(w.op);
  if (!info) return `.word 0x${encodeWord(w).toString(16).padStart(16, "0")}`;
  const r = (code: number) => operandText(operandOf(code));
  const bSide = () => (w.bimm ? immText(w) : r(w.b));
  const n = info.name;
  switch (info.format) {
    case "alu": return `${n} ${r(w.dst)}, ${r(w.a)}, ${bSide()}`;
    case "mov": return n === "mova" ? `mova ${r(w.dst)}, ${r(w.a)}` : `movb ${r(w.dst)}, ${bSide()}`;
    case "imm": return `${n} ${r(w.dst)}, #0x${w.imm.toString(16)}`;
    case "sh": return `${n} ${r(w.dst)}, ${r(w.a)}, ${shText(w.sh)}`;
    case "dsh": return `${n} ${r(w.dst)}, ${r(w.a)}, ${r(w.b)}, ${shText(w.sh)}`;
    case "un": return `${n} ${r(w.dst)}, ${r(w.a)}`;
    case "br": return `br.${CONDITIONS[w.cond]![0]} ${w.imm}`;
    case "bl": return `bl ${r(w.dst)}, ${w.imm}`;
    case "rtn": return `rtn ${r(w.a)}`;
    case "mem": {
      const off = offsetOf(w);
      return `${n}.${MEM_SIZES[w.size]} $${n === "rd" ? "r" : "w"}${w.xfer}, [${r(w.a)}${off < 0 ? off : `+${off}`}], ${sigText(w)}`;
    }
    case "atom": {
      const off = offsetOf(w);
      return `atom.${ATOMIC_OPS[w.cond] ?? `op${w.cond}`}.${MEM_SIZES[w.size]} $w${w.xfer}, [${r(w.a)}${off < 0 ? off : `+${off}`}], ${sigText(w)}`;
    }
    case "lkp": return `lkp.${LOOKUP_KINDS[w.cond] ?? `kind${w.cond}`} $r${w.xfer}, map${w.sh}, ${r(w.a)}, ${r(w.b)}, #${w.imm}, ${sigText(w)}`;
    case "hlp": return `hlp $r${w.xfer}, ${w.imm}, ${sigText(w)}`;
    case "wait": return `wait 0x${w.imm.toString(16)}`;
    case "none": return n;
  }
}

/** Reasons a microword breaks the engine's rules (bank rule, operand kinds), empty when none. */
export function wordProblems(w: Word): string[] {
  const info = OP_BY_CODE.get(w.op);
  if (!info) return [`unknown opcode 0x${w.op.toString(16)}`];
  const out: string[] = [];
  const a = operandOf(w.a), b = operandOf(w.b), d = operandOf(w.dst);
  const needA = ["alu", "sh", "dsh", "un", "mem", "atom", "lkp", "rtn"].includes(info.format) || info.name === "mova";
  const needB = (info.format === "alu" || info.name === "movb") && !w.bimm;
  if (needA && !canBeA(a)) out.push(`${operandText(a)} cannot be the a operand (A bank or $r)`);
  if ((needB || info.format === "dsh" || (info.format === "lkp" && (w.cond === 1 || w.cond === 4))) && !canBeB(b)) out.push(`${operandText(b)} cannot be the b operand (B bank or $r)`);
  const hasDst = ["alu", "mov", "imm", "sh", "dsh", "un", "bl"].includes(info.format);
  if (hasDst && !canBeDst(d)) out.push(`${operandText(d)} cannot be written`);
  // immw1 keeps the low half of its destination, so it reads it: a general register only.
  if (info.format === "imm" && d.kind !== "A" && d.kind !== "B") out.push(`immw1 reads its destination: ${operandText(d)} is not a general register`);
  if (info.format === "sh" || info.format === "dsh") if (w.sh > SH_SA) out.push(`shift amount ${w.sh} is neither 0..63 nor sa`);
  if (info.format === "atom" && (w.cond >= ATOMIC_OPS.length || MEM_SIZES[w.size]! < 4)) out.push("an atomic is one of ATOMIC_OPS on 4 or 8 bytes");
  if (info.format === "lkp" && w.cond >= LOOKUP_KINDS.length) out.push(`lookup kind ${w.cond} does not exist`);
  if (w.rel && info.format === "lkp" && (LOOKUP_KINDS[w.cond] !== "lookup" || !w.ord)) out.push("rel (release packet order when the key is found) needs an ordered lkp.lookup");
  if (w.rel && (info.format === "mem" || info.format === "atom" || info.format === "hlp")) out.push("rel is for lkp.lookup only");
  // Transfer registers a command reads or fills must exist: pairs for 8 bytes and 64-bit answers.
  const words = info.format === "mem" || info.format === "atom" ? (MEM_SIZES[w.size] === 8 ? 2 : 1) : 2;
  const writes = info.name === "wr" || info.format === "atom";
  const span = info.format === "atom" && ATOMIC_OPS[w.cond] === "cmpxchg" ? 2 * words : words;
  if (["mem", "atom", "lkp", "hlp"].includes(info.format)) {
    if (writes && w.xfer + span > XFER_WRITE) out.push(`$w${w.xfer}..$w${w.xfer + span - 1} are not all write transfer registers`);
    if (!writes || info.format === "atom") if (w.xfer + (info.format === "atom" ? words : words) > XFER_READ) out.push(`$r${w.xfer}..$r${w.xfer + words - 1} are not all read transfer registers`);
  }
  if (info.format === "wait" && w.imm >= 1 << SIGNALS) out.push(`wait mask 0x${w.imm.toString(16)} names signals beyond sig${SIGNALS - 1}`);
  return out;
}
