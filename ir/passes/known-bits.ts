// Known-bits: drops zero- and sign-extensions and masks of values that already fit.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//
// For every i64 value it bounds the magnitude: the value lies in [0, 2^bits) (64 when
// nothing is known). Loads of narrow unsigned sizes, 32-bit operations (which zero-extend),
// byte swaps, masks, right shifts and block parameters (the widest of what their
// predecessors pass, to a fixed point) bound their results. Then `zext32 x` with x < 2^32,
// `and x, 2^k-1` with x < 2^k and `sextN x` with x < 2^(N-1) are x itself. Frontends
// that keep C values normalised to their type (the C frontend) and mem2reg's
// truncation of promoted slots leave many such operations behind.
import type { Arg, Func, Inst, Module } from "../core/ir.js";
import { substitute } from "./util.js";

const WIDE = 64;

/** Bits of results that depend only on the opcode. */
const FIXED_BITS: Readonly<Record<string, number>> = {
  "load.u8": 8, "load.u16": 16, "load.u32": 32,
  neg32: 32, bswap16: 16, bswap32: 32, be16: 16, be32: 32, le16: 16, le32: 32,
};

const bitLength = (v: bigint): number => (v < 0n ? WIDE : v.toString(2).length);

function instBits(i: Inst, of: (a: Arg) => number): number {
  const fixed = FIXED_BITS[i.op];
  if (fixed !== undefined) return fixed;
  // Every 32-bit ALU operation zero-extends its result (RFC 9669 §4.1).
  if (/^[a-z]+32$/.test(i.op) && !/^(sext|bswap|zext)/.test(i.op)) return 32;
  const [a, b, c] = i.args;
  switch (i.op) {
    case "zext32":
      return Math.min(32, of(a!));
    case "const":
      return a?.kind === "imm" ? bitLength(a.value) : WIDE;
    case "and":
      return Math.min(of(a!), of(b!));
    case "or":
    case "xor":
      return Math.max(of(a!), of(b!));
    case "add":
      return Math.min(WIDE, Math.max(of(a!), of(b!)) + 1);
    case "mul":
      return Math.min(WIDE, of(a!) + of(b!));
    case "lshr":
      return b?.kind === "imm" ? Math.max(0, of(a!) - Number(b.value & 63n)) : of(a!);
    case "udiv":
      return of(a!);
    case "urem":
      return Math.min(of(a!), of(b!));
    case "shl":
      return b?.kind === "imm" ? Math.min(WIDE, of(a!) + Number(b.value & 63n)) : WIDE;
    case "select":
      return Math.max(of(b!), of(c!));
    default:
      return WIDE;
  }
}

function knownBitsFunc(f: Func): Func {
  const bits = new Map<number, number>();
  const of = (a: Arg): number => (a.kind === "imm" ? bitLength(a.value) : a.kind === "value" ? (bits.get(a.id) ?? 0) : WIDE);
  // Block parameters start at 0 (nothing flowed in yet) and only grow: a fixed point.
  for (let changed = true, round = 0; changed && round < 100; round++) {
    changed = false;
    const set = (id: number, v: number) => {
      if ((bits.get(id) ?? -1) < v) {
        bits.set(id, v);
        changed = true;
      }
    };
    f.blocks.forEach((b, k) => {
      if (k === 0) for (const p of b.params) set(p.id, WIDE);
      for (const i of b.insts) if (i.result !== undefined) set(i.result, i.type === "i64" ? instBits(i, of) : WIDE);
      const t = b.term;
      const calls = t.op === "br" ? [t.to] : t.op === "br_if" ? [t.then, t.else] : [];
      for (const c of calls) {
        const target = f.blocks.find((x) => x.name === c.block)!;
        target.params.forEach((p, j) => set(p.id, p.type === "i64" ? of(c.args[j]!) : WIDE));
      }
    });
  }
  const replace = new Map<number, Arg>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const [a, m] = i.args;
      if (i.result === undefined || a?.kind !== "value" || i.type !== "i64") continue;
      const known = of(a);
      const sext = /^sext(8|16|32)$/.exec(i.op);
      const fits =
        (i.op === "zext32" && known <= 32) ||
        (sext !== null && known <= Number(sext[1]) - 1) ||
        (i.op === "and" && m?.kind === "imm" && m.value > 0n && (m.value & (m.value + 1n)) === 0n && known <= bitLength(m.value));
      if (fits) replace.set(i.result, a);
    }
  }
  if (!replace.size) return f;
  const out = substitute(f, replace);
  return { ...out, blocks: out.blocks.map((b) => ({ ...b, insts: b.insts.filter((i) => i.result === undefined || !replace.has(i.result)) })) };
}

export function knownBits(m: Module): Module {
  return { ...m, funcs: m.funcs.map(knownBitsFunc) };
}
