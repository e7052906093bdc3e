// Scalar ranges: a tnum plus signed and unsigned bounds at a width of 64 or 32 bits,
// kept consistent with one another as the kernel's reg_bounds_sync does. Every fact a
// Scalar holds is a set the value is known to lie in; sync() intersects them, so it can
// only make a Scalar more precise, and an empty intersection (undefined) means the path
// that produced it cannot happen.
import { alu32, alu64, type AluOp } from "../runtime/interp/alu.js";
import {
  isConst, tnum, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumConst, tnumIn, tnumIntersect, tnumLshift, tnumMul, tnumOr,
  tnumRange, tnumRshift, tnumString, tnumSub, tnumXor, TNUM_UNKNOWN, type Tnum,
} from "./tnum.js";

export type Width = 32 | 64;

export interface Scalar {
  readonly t: Tnum;
  readonly umin: bigint;
  readonly umax: bigint;
  /** Signed bounds, as signed values of the width. */
  readonly smin: bigint;
  readonly smax: bigint;
}

const umaxOf = (w: Width): bigint => (1n << BigInt(w)) - 1n;
const sminOf = (w: Width): bigint => -(1n << BigInt(w - 1));
const smaxOf = (w: Width): bigint => (1n << BigInt(w - 1)) - 1n;
const toSigned = (v: bigint, w: Width): bigint => BigInt.asIntN(w, v);
const toUnsigned = (v: bigint, w: Width): bigint => BigInt.asUintN(w, v);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export function unknown(w: Width = 64): Scalar {
  return { t: w === 64 ? TNUM_UNKNOWN : tnum(0n, umaxOf(32)), umin: 0n, umax: umaxOf(w), smin: w === 64 ? sminOf(64) : 0n, smax: w === 64 ? smaxOf(64) : umaxOf(32) };
}

/** A 64-bit scalar; `v` is taken modulo 2^64. */
export function constant(v: bigint): Scalar {
  const u = toUnsigned(v, 64);
  return { t: tnumConst(u), umin: u, umax: u, smin: toSigned(u, 64), smax: toSigned(u, 64) };
}

/** The unsigned range [lo, hi] at 64 bits. */
export function range(lo: bigint, hi: bigint): Scalar {
  return sync({ t: tnumRange(lo, hi), umin: lo, umax: hi, smin: sminOf(64), smax: smaxOf(64) }, 64)!;
}

/** The signed range [lo, hi] at 64 bits. */
export function signedRange(lo: bigint, hi: bigint): Scalar {
  return sync({ t: TNUM_UNKNOWN, umin: 0n, umax: umaxOf(64), smin: lo, smax: hi }, 64)!;
}

export const isConstant = (s: Scalar): boolean => isConst(s.t);

/**
 * Makes the tnum, unsigned and signed bounds agree (reg_bounds_sync), at width w: the
 * value is then in the intersection of all three. undefined when that is empty.
 */
export function sync(s: Scalar, w: Width): Scalar | undefined {
  const M = umaxOf(w);
  const SB = 1n << BigInt(w - 1);
  let { t, umin, umax, smin, smax } = s;
  for (let round = 0; round < 2; round++) {
    if (umin > umax || smin > smax) return undefined;
    // Bounds to tnum.
    const tr = tnumIntersect(t, tnumRange(umin, umax));
    if (!tr) return undefined;
    t = tr;
    // tnum to bounds.
    umin = max(umin, t.value);
    umax = min(umax, (t.value | t.mask) & M);
    smin = max(smin, toSigned(t.value | (t.mask & SB), w));
    smax = min(smax, toSigned(t.value | (t.mask & (M ^ SB)), w));
    // Signed and unsigned bounds inform each other when the range stays on one side of the sign bit.
    if (umax < SB || umin >= SB) {
      smin = max(smin, toSigned(umin, w));
      smax = min(smax, toSigned(umax, w));
    }
    if (smin >= 0n || smax < 0n) {
      umin = max(umin, toUnsigned(smin, w));
      umax = min(umax, toUnsigned(smax, w));
    }
  }
  if (umin > umax || smin > smax) return undefined;
  return { t, umin, umax, smin, smax };
}

/** The low 32 bits of a 64-bit scalar, as a 32-bit scalar. */
export function view32(s: Scalar): Scalar {
  const M = umaxOf(32);
  const t = tnumCast(s.t, 4);
  let umin = 0n;
  let umax = M;
  if (s.umin >> 32n === s.umax >> 32n) {
    umin = s.umin & M;
    umax = s.umax & M;
  }
  let smin = sminOf(32);
  let smax = smaxOf(32);
  if (s.smin >= sminOf(32) && s.smax <= smaxOf(32)) {
    smin = s.smin;
    smax = s.smax;
  }
  return sync({ t, umin, umax, smin, smax }, 32) ?? unknown(32);
}

/** A 32-bit result zero-extended to 64 bits (RFC 9669 §4.1: 32-bit ops zero the upper half). */
export function zext32(s: Scalar): Scalar {
  return sync({ t: tnumCast(s.t, 4), umin: s.umin, umax: s.umax, smin: s.umin, smax: s.umax }, 64) ?? range(0n, umaxOf(32));
}

/** Writes a refined 32-bit view back into the 64-bit scalar it came from. */
export function merge32(s: Scalar, low: Scalar): Scalar | undefined {
  const M = umaxOf(32);
  if (s.umin >> 32n === s.umax >> 32n) {
    const hi = (s.umin >> 32n) << 32n;
    const t = tnumIntersect(s.t, tnum(hi | low.t.value, low.t.mask));
    if (!t) return undefined;
    return sync({ t, umin: max(s.umin, hi | low.umin), umax: min(s.umax, hi | low.umax), smin: s.smin, smax: s.smax }, 64);
  }
  const t = tnumIntersect(s.t, tnum(low.t.value, low.t.mask | (umaxOf(64) ^ M)));
  if (!t) return undefined;
  return sync({ ...s, t }, 64);
}

export const constValue = (s: Scalar): bigint | undefined => (isConst(s.t) ? s.t.value : undefined);

/** Bounds from the tnum alone at width w: the fallback when an operation loses the ranges. */
function fromTnum(t: Tnum, w: Width): Scalar {
  const u = unknown(w);
  return sync({ ...u, t: w === 32 ? tnumCast(t, 4) : t }, w) ?? u;
}

/**
 * dst = a OP b at width w. For w = 32 both inputs are 32-bit scalars (view32) and so is
 * the result; the caller zero-extends it.
 */
export function aluScalar(op: AluOp, a: Scalar, b: Scalar, w: Width): Scalar {
  const M = umaxOf(w);
  const ca = constValue(a);
  const cb = constValue(b);
  if (ca !== undefined && cb !== undefined) {
    const v = w === 64 ? alu64(op, ca, cb) : alu32(op, ca, cb);
    return w === 64 ? constant(v) : sync({ t: tnumConst(v), umin: v, umax: v, smin: toSigned(v, 32), smax: toSigned(v, 32) }, 32)!;
  }
  const full = unknown(w);
  const mk = (t: Tnum, umin: bigint, umax: bigint, smin = full.smin, smax = full.smax): Scalar =>
    sync({ t: w === 32 ? tnumCast(t, 4) : t, umin, umax, smin, smax }, w) ?? fromTnum(t, w);
  switch (op) {
    case "mov":
      return b;
    case "add": {
      const t = tnumAdd(a.t, b.t);
      const [ulo, uhi] = a.umax + b.umax <= M ? [a.umin + b.umin, a.umax + b.umax] : [0n, M];
      const slo = a.smin + b.smin, shi = a.smax + b.smax;
      const signedOk = slo >= full.smin && shi <= full.smax;
      return mk(t, ulo, uhi, signedOk ? slo : full.smin, signedOk ? shi : full.smax);
    }
    case "sub": {
      const t = tnumSub(a.t, b.t);
      const [ulo, uhi] = a.umin >= b.umax ? [a.umin - b.umax, a.umax - b.umin] : [0n, M];
      const slo = a.smin - b.smax, shi = a.smax - b.smin;
      const signedOk = slo >= full.smin && shi <= full.smax;
      return mk(t, ulo, uhi, signedOk ? slo : full.smin, signedOk ? shi : full.smax);
    }
    case "mul": {
      const t = tnumMul(a.t, b.t);
      return a.umax * b.umax <= M ? mk(t, a.umin * b.umin, a.umax * b.umax) : mk(t, 0n, M);
    }
    case "and":
      return mk(tnumAnd(a.t, b.t), 0n, min(a.umax, b.umax));
    case "or":
      return mk(tnumOr(a.t, b.t), max(a.umin, b.umin), M);
    case "xor":
      return mk(tnumXor(a.t, b.t), 0n, M);
    case "lsh": {
      if (cb === undefined || cb >= BigInt(w)) return full;
      const t = tnumLshift(a.t, cb);
      return a.umax << cb <= M ? mk(t, a.umin << cb, a.umax << cb) : mk(t, 0n, M);
    }
    case "rsh": {
      if (cb === undefined || cb >= BigInt(w)) return mk(TNUM_UNKNOWN, 0n, a.umax);
      return mk(tnumRshift(a.t, cb), a.umin >> cb, a.umax >> cb);
    }
    case "arsh": {
      if (cb === undefined || cb >= BigInt(w)) return full;
      return mk(tnumArshift(a.t, cb, w), 0n, M, a.smin >> cb, a.smax >> cb);
    }
    case "div":
      // Division by zero gives 0 (RFC 9669 §4.1), which is below a.umax / anything.
      if (cb !== undefined && cb !== 0n) return mk(TNUM_UNKNOWN, a.umin / cb, a.umax / cb);
      return mk(TNUM_UNKNOWN, 0n, a.umax);
    case "mod":
      // Modulo by zero leaves dst unchanged.
      if (cb !== undefined && cb !== 0n) return a.umax < cb ? a : mk(TNUM_UNKNOWN, 0n, cb - 1n);
      return mk(TNUM_UNKNOWN, 0n, b.umin > 0n ? min(a.umax, b.umax - 1n) : a.umax);
    default:
      // sdiv, smod, neg of unknowns: any value of the width.
      return full;
  }
}

/** One-operand ops: neg, byte swaps and sign extension, at width w (32-bit results zero-extend). */
export function negScalar(a: Scalar, w: Width): Scalar {
  return aluScalar("sub", w === 64 ? constant(0n) : view32(constant(0n)), a, w);
}

/** The value as loaded by an n-byte zero-extending load, or truncated to n bytes. */
export function truncScalar(a: Scalar, bytes: number): Scalar {
  if (bytes >= 8) return a;
  const M = umaxOf(64) >> BigInt(64 - bytes * 8);
  if (a.umax <= M) return a;
  return sync({ t: tnumCast(a.t, bytes), umin: 0n, umax: M, smin: 0n, smax: M }, 64) ?? range(0n, M);
}

/** An n-byte value sign-extended to 64 bits (ldxs, movsx). */
export function signExtendScalar(a: Scalar, bits: number): Scalar {
  const half = 1n << BigInt(bits - 1);
  const low = truncScalar(a, bits / 8);
  if (low.umax < half) return low;
  const c = constValue(low);
  if (c !== undefined) return constant(BigInt.asIntN(bits, c));
  return signedRange(-half, half - 1n);
}

// Branch refinement: each relation narrows both operands on the edge where it holds.
export type Relation = "eq" | "ne" | "ult" | "ule" | "slt" | "sle" | "set" | "nset";

/**
 * a REL b holds: the narrowed (a, b) at width w, or undefined when it cannot hold.
 */
export function refine(a: Scalar, b: Scalar, rel: Relation, w: Width): [Scalar, Scalar] | undefined {
  let na: Scalar = a;
  let nb: Scalar = b;
  switch (rel) {
    case "eq": {
      const t = tnumIntersect(a.t, b.t);
      if (!t) return undefined;
      const both = { t, umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax) };
      na = both;
      nb = both;
      break;
    }
    case "ne": {
      const ca = constValue(a), cb = constValue(b);
      if (ca !== undefined && ca === cb) return undefined;
      const cut = (x: Scalar, c: bigint | undefined): Scalar => {
        if (c === undefined) return x;
        const sc = toSigned(c, w);
        return {
          ...x,
          umin: x.umin === c ? x.umin + 1n : x.umin,
          umax: x.umax === c ? x.umax - 1n : x.umax,
          smin: x.smin === sc ? x.smin + 1n : x.smin,
          smax: x.smax === sc ? x.smax - 1n : x.smax,
        };
      };
      na = cut(a, cb);
      nb = cut(b, ca);
      break;
    }
    case "ult":
      if (b.umax === 0n) return undefined;
      na = { ...a, umax: min(a.umax, b.umax - 1n) };
      nb = { ...b, umin: max(b.umin, a.umin + 1n) };
      break;
    case "ule":
      na = { ...a, umax: min(a.umax, b.umax) };
      nb = { ...b, umin: max(b.umin, a.umin) };
      break;
    case "slt":
      if (b.smax === sminOf(w)) return undefined;
      na = { ...a, smax: min(a.smax, b.smax - 1n) };
      nb = { ...b, smin: max(b.smin, a.smin + 1n) };
      break;
    case "sle":
      na = { ...a, smax: min(a.smax, b.smax) };
      nb = { ...b, smin: max(b.smin, a.smin) };
      break;
    case "set": {
      const cb = constValue(b);
      if (cb !== undefined && ((a.t.value | a.t.mask) & cb) === 0n) return undefined;
      break;
    }
    case "nset": {
      const cb = constValue(b);
      if (cb === undefined) break;
      if ((a.t.value & cb) !== 0n) return undefined;
      na = { ...a, t: tnum(a.t.value, a.t.mask & ~cb) };
      break;
    }
  }
  const sa = sync(na, w);
  const sb = sync(nb, w);
  if (!sa || !sb) return undefined;
  return [sa, sb];
}

/** Every value of `cur` is a value of `old` (for state pruning). */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  return old.umin <= cur.umin && cur.umax <= old.umax && old.smin <= cur.smin && cur.smax <= old.smax && tnumIn(old.t, cur.t);
}

export function scalarEqual(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax && a.t.value === b.t.value && a.t.mask === b.t.mask;
}

/** Kernel-style: the constant, or the bounds that say something, e.g. `umax=255,var_off=(0x0; 0xff)`. */
export function formatScalar(s: Scalar): string {
  const c = constValue(s);
  if (c !== undefined) return String(toSigned(c, 64));
  const parts: string[] = [];
  const full = unknown(64);
  if (s.smin !== full.smin && s.smin !== toSigned(s.umin, 64)) parts.push(`smin=${s.smin}`);
  if (s.smax !== full.smax && s.smax !== s.umax) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== full.umax) parts.push(`umax=${s.umax}`);
  if (s.t.mask !== full.t.mask) parts.push(`var_off=${tnumString(s.t)}`);
  return parts.join(",");
}
