// Tristate numbers (the kernel's kernel/bpf/tnum.c): a 64-bit value whose bits are each
// known 0, known 1, or unknown. `value` holds the known-1 bits, `mask` the unknown ones;
// a bit set in both never occurs. All fields are unsigned 64-bit bigints.
import { U64 } from "../runtime/interp/alu.js";

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value: value & ~mask & U64, mask: mask & U64 });
export const tnumConst = (v: bigint): Tnum => tnum(v & U64, 0n);
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };

export const isConst = (t: Tnum): boolean => t.mask === 0n;

/** The tnum of every value in [min, max] (tnum_range). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  if (chi === 0n) return tnumConst(min);
  const bits = BigInt(chi.toString(2).length);
  if (bits > 63n) return TNUM_UNKNOWN;
  const delta = (1n << bits) - 1n;
  return tnum(min & ~delta, delta);
}

export const tnumLshift = (a: Tnum, s: bigint): Tnum => tnum((a.value << s) & U64, (a.mask << s) & U64);
export const tnumRshift = (a: Tnum, s: bigint): Tnum => tnum(a.value >> s, a.mask >> s);

/** Arithmetic shift at a width of 32 or 64 bits; the result is zero-extended to 64. */
export function tnumArshift(a: Tnum, s: bigint, width: 32 | 64): Tnum {
  const w = BigInt(width);
  const m = (1n << w) - 1n;
  const sx = (v: bigint) => BigInt.asUintN(width, BigInt.asIntN(width, v & m) >> s);
  return tnum(sx(a.value) & m, sx(a.mask) & m);
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64;
  const sv = (a.value + b.value) & U64;
  const sigma = (sm + sv) & U64;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64;
  const alpha = (dv + a.mask) & U64;
  const beta = (dv - b.mask) & U64;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** tnum_mul: shift-and-add over the multiplier's bits. */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = tnumConst(0n);
  let x = a;
  let y = b;
  for (let i = 0; i < 64 && (y.value | y.mask) !== 0n; i++) {
    if (y.value & 1n) acc = tnumAdd(acc, tnum(0n, x.mask));
    else if (y.mask & 1n) acc = tnumAdd(acc, tnum(0n, x.value | x.mask));
    y = tnumRshift(y, 1n);
    x = tnumLshift(x, 1n);
  }
  return tnumAdd(tnumConst((a.value * b.value) & U64), acc);
}

/** The bits known in both; undefined when they contradict (the value set is empty). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum | undefined {
  const known = ~a.mask & ~b.mask & U64;
  if (((a.value ^ b.value) & known) !== 0n) return undefined;
  return tnum(a.value | b.value, a.mask & b.mask);
}

/** Every value of b is a value of a. */
export const tnumIn = (a: Tnum, b: Tnum): boolean => (b.mask & ~a.mask) === 0n && (b.value & ~a.mask) === a.value;

/** Truncated to the low `bytes` bytes. */
export const tnumCast = (a: Tnum, bytes: number): Tnum => {
  const m = bytes >= 8 ? U64 : (1n << BigInt(bytes * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
};

export const tnumUmin = (a: Tnum): bigint => a.value;
export const tnumUmax = (a: Tnum): bigint => a.value | a.mask;

export function tnumString(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
