// BPF arithmetic as pure functions on unsigned 64-bit bigints (RFC 9669 §4). The
// interpreter uses them, and so will constant folding in ir/passes: one definition of
// what `sdiv32` of INT_MIN by -1 is, for every consumer.
export const U64 = (1n << 64n) - 1n;
export const U32 = (1n << 32n) - 1n;

export const u64 = (v: bigint): bigint => v & U64;
export const u32 = (v: bigint): bigint => v & U32;
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
/** A signed 32-bit immediate sign-extended to 64 bits (RFC 9669 §4.1: ALU64 and JMP imm). */
export const sext32 = (imm: number): bigint => u64(BigInt(imm));

export type AluOp = "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh" | "neg";

/** 64-bit operation: a and b are u64; the result is u64. */
export function alu64(op: AluOp, a: bigint, b: bigint): bigint {
  switch (op) {
    case "add": return u64(a + b);
    case "sub": return u64(a - b);
    case "mul": return u64(a * b);
    // RFC 9669 §4.1: division by zero gives 0; modulo by zero leaves dst unchanged.
    case "div": return b === 0n ? 0n : a / b;
    case "mod": return b === 0n ? a : a % b;
    // Signed: truncating division (C semantics); INT_MIN / -1 wraps to INT_MIN.
    case "sdiv": return b === 0n ? 0n : u64(s64(a) / s64(b));
    case "smod": return b === 0n ? a : u64(s64(a) % s64(b));
    case "or": return a | b;
    case "and": return a & b;
    case "xor": return a ^ b;
    // Shift amounts are masked to the operand width (RFC 9669 §4.1).
    case "lsh": return u64(a << (b & 63n));
    case "rsh": return a >> (b & 63n);
    case "arsh": return u64(s64(a) >> (b & 63n));
    case "mov": return b;
    case "neg": return u64(-a);
  }
}

/** 32-bit operation on the low halves; the result is zero-extended (RFC 9669 §4.1). */
export function alu32(op: AluOp, a: bigint, b: bigint): bigint {
  const x = u32(a);
  const y = u32(b);
  switch (op) {
    case "add": return u32(x + y);
    case "sub": return u32(x - y);
    case "mul": return u32(x * y);
    case "div": return y === 0n ? 0n : x / y;
    case "mod": return y === 0n ? x : x % y;
    case "sdiv": return y === 0n ? 0n : u32(s32(x) / s32(y));
    case "smod": return y === 0n ? x : u32(s32(x) % s32(y));
    case "or": return x | y;
    case "and": return x & y;
    case "xor": return x ^ y;
    case "lsh": return u32(x << (y & 31n));
    case "rsh": return x >> (y & 31n);
    case "arsh": return u32(s32(x) >> (y & 31n));
    case "mov": return y;
    case "neg": return u32(-x);
  }
}

/** Sign extension of the low `bits` of v to 64 bits (movsx, ldxs). */
export function signExtend(v: bigint, bits: number): bigint {
  return u64(BigInt.asIntN(bits, v));
}

/** Reverses the low `bits` bits of v bytewise. */
export function byteSwap(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < bits; i += 8) out = (out << 8n) | ((v >> BigInt(i)) & 0xffn);
  return out;
}

/**
 * RFC 9669 §4.2 byte swaps. `le`/`be` convert to that byte order from the host's; bpfoff
 * defines programs on a little-endian machine (as every conformance runtime does), so `le`
 * only truncates and `be` swaps. `bswap` swaps unconditionally.
 */
export function endian(kind: "le" | "be" | "bswap", v: bigint, bits: number): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  return kind === "le" ? v & mask : byteSwap(v & mask, bits);
}

export type JmpOp = "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

/** The condition of a conditional jump at `bits` width (64, or 32 for JMP32). */
export function condition(op: JmpOp, a: bigint, b: bigint, bits: 32 | 64): boolean {
  const x = bits === 32 ? u32(a) : a;
  const y = bits === 32 ? u32(b) : b;
  const sx = bits === 32 ? s32(x) : s64(x);
  const sy = bits === 32 ? s32(y) : s64(y);
  switch (op) {
    case "jeq": return x === y;
    case "jne": return x !== y;
    case "jgt": return x > y;
    case "jge": return x >= y;
    case "jlt": return x < y;
    case "jle": return x <= y;
    case "jset": return (x & y) !== 0n;
    case "jsgt": return sx > sy;
    case "jsge": return sx >= sy;
    case "jslt": return sx < sy;
    case "jsle": return sx <= sy;
  }
}
