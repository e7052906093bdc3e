// How many low bits of each IR value can be non-zero: a value of at most 32 bits lives in
// one register, and operations on it use one ALU word instead of a carry pair. A forward
// fixpoint over the function (block parameters take the widest incoming argument), from
// facts the IR states: 32-bit opcodes zero-extend (RFC 9669 §4.1), loads of u8/u16/u32
// zero-extend, pointers are 32-bit engine addresses, constants have their bit length.
// `pairs` turns it off (every scalar a pair): the naive translation the saving is measured against.
import type { Arg, Func } from "../../../ir/core/ir.js";

const bitLength = (v: bigint): number => BigInt.asUintN(64, v).toString(2).replace(/^0+/, "").length;

export function valueWidths(f: Func, pairs: boolean): Map<number, number> {
  const w = new Map<number, number>();
  const types = new Map<number, string>();
  for (const b of f.blocks) {
    for (const p of b.params) types.set(p.id, p.type);
    for (const i of b.insts) if (i.result !== undefined) types.set(i.result, i.type ?? "i64");
  }
  const width = (a: Arg): number => (a.kind === "imm" ? bitLength(a.value) : a.kind === "value" ? (w.get(a.id) ?? 0) : 64);
  const isPtr = (id: number) => types.get(id)?.startsWith("ptr.") ?? false;
  // Pointers are 32-bit addresses even in the naive translation: the engine has no other kind.
  const cap = (id: number, bits: number) => (types.get(id) === "i1" ? 1 : isPtr(id) ? 32 : pairs ? 64 : Math.min(64, Math.max(0, bits)));
  const entry = f.blocks[0]!;
  for (const p of entry.params) w.set(p.id, cap(p.id, 64));
  for (let changed = true; changed;) {
    changed = false;
    const set = (id: number, bits: number) => {
      const v = cap(id, bits);
      if ((w.get(id) ?? -1) < v) { w.set(id, Math.max(v, w.get(id) ?? 0)); changed = true; }
    };
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.result === undefined) continue;
        const [x, y] = i.args;
        const k = (a: Arg | undefined) => (a?.kind === "imm" ? Number(a.value & 63n) : undefined);
        const op = i.op;
        let bits = 64;
        if (op === "const") bits = width(x!);
        else if (op === "undef") bits = 0;
        else if (/^(icmp|packet\.check)/.test(op)) bits = 1;
        else if ((/^[a-z]+32$/.test(op) && op !== "sext32") || op === "zext32" || op === "neg32" || op.endsWith("_32")) bits = 32;
        else if (op === "load.u8") bits = 8;
        else if (op === "load.u16" || op === "bswap16" || op === "be16" || op === "le16") bits = 16;
        else if (op === "load.u32" || op === "bswap32" || op === "be32" || op === "le32" || op.endsWith(".u32") && op.startsWith("atomic")) bits = 32;
        else if (op === "and") bits = Math.min(width(x!), width(y!));
        else if (op === "or" || op === "xor" || op === "le64") bits = Math.max(width(x!), op === "le64" ? 0 : width(y!));
        else if (op === "add") bits = Math.max(width(x!), width(y!)) + 1;
        else if (op === "mul") bits = width(x!) + width(y!);
        else if (op === "udiv") bits = width(x!);
        // x % 0 = x (RFC 9669 §4.1), so only the dividend bounds a remainder.
        else if (op === "urem") bits = width(x!);
        else if (op === "shl" && k(y) !== undefined) bits = width(x!) + k(y)!;
        else if ((op === "lshr" || (op === "ashr" && width(x!) < 64)) && k(y) !== undefined) bits = width(x!) - k(y)!;
        else if (op === "select") bits = Math.max(width(y!), width(i.args[2]!));
        set(i.result, bits);
      }
      for (const s of b.term.op === "br" ? [b.term.to] : b.term.op === "br_if" ? [b.term.then, b.term.else] : []) {
        const target = f.blocks.find((t) => t.name === s.block)!;
        s.args.forEach((a, n) => set(target.params[n]!.id, width(a)));
      }
    }
  }
  return w;
}

/**
 * Values whose high word something reads: the backward half of the width analysis. The
 * low word of add, sub, mul, and, or, xor, neg and shl depends only on the operands' low
 * words, so a value only such operations (and 32-bit ones: add32, icmp32, store.u32,
 * zext32, a shift's amount) read is kept in one register even when it may be wider, as
 * when a sum is masked or stored as 32 bits. Every other reader needs the high word;
 * a result the forward analysis proves narrow needs none of its operands' high words.
 */
export function highWordNeeded(f: Func, widths: ReadonlyMap<number, number>): Set<number> {
  const need = new Set<number>();
  const lowOnly = /^(add|sub|mul|and|or|xor|shl|neg)$/;
  const noHigh = /^(add32|sub32|mul32|udiv32|sdiv32|urem32|srem32|and32|or32|xor32|shl32|lshr32|ashr32|neg32|zext32|le16|le32|be16|be32|bswap16|bswap32|sext8|sext16|sext32|sext8_32|sext16_32|icmp32\..*|store\.u(8|16|32)|atomic\.[a-z_]+\.u32|packet\.check|ptradd|load\..*|ctx\.get|map\..*|global\.addr)$/;
  const params = new Map<number, Arg[]>();
  for (const b of f.blocks) {
    for (const s of b.term.op === "br" ? [b.term.to] : b.term.op === "br_if" ? [b.term.then, b.term.else] : []) {
      const target = f.blocks.find((t) => t.name === s.block)!;
      s.args.forEach((a, n) => params.set(target.params[n]!.id, [...(params.get(target.params[n]!.id) ?? []), a]));
    }
  }
  const mark = (a: Arg | undefined): boolean => {
    if (a?.kind !== "value" || need.has(a.id)) return false;
    need.add(a.id);
    return true;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (lowOnly.test(i.op)) {
          // A result known to fit 32 bits has a zero high word whatever its operands' are.
          if (i.result !== undefined && need.has(i.result) && (widths.get(i.result) ?? 64) > 32) {
            // shl: the amount is only ever read in its low bits.
            const operands = i.op === "shl" ? [i.args[0]] : i.args;
            for (const a of operands) changed = mark(a) || changed;
          }
          continue;
        }
        if (noHigh.test(i.op)) {
          // Pointers and addresses are 32-bit; store and atomic data of 64 bits need the high word.
          if (/^(store\.u64|atomic\.[a-z_]+\.u64)$/.test(i.op)) changed = mark(i.args[3]) || changed;
          if (/^atomic\.cmpxchg\.u64$/.test(i.op)) changed = mark(i.args[4]) || changed;
          continue;
        }
        // shifts right by a constant or variable amount: the value's high word, not the amount's.
        if (/^(lshr|ashr)$/.test(i.op)) { changed = mark(i.args[0]) || changed; continue; }
        for (const a of i.args) changed = mark(a) || changed;
      }
      const t = b.term;
      if (t.op === "ret") changed = mark(t.value) || changed;
      if (t.op === "br_if") changed = mark(t.cond) || changed;
    }
    for (const [param, args] of params) if (need.has(param)) for (const a of args) changed = mark(a) || changed;
  }
  return need;
}
