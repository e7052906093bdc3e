// The memory fusions (fuse.ts runs them first in a block, docs/fpga-engine.md "ISA
// extensions"): runs of byte accesses that become one wide access, only where the run's
// every original access is proven in bounds (ptrs.ts), so that no fault site moves, and
// where every register the run writes but its result is dead after it (liveness.ts):
//   ldxb/lsh/or/mov assembling 2/4/8 bytes of [p+off..] in one register -> ldx_wide (LE or BE)
//   ldxb rT, [rS+a]; stxb [rD+a+d], rT pairs over 2/4/6/8 bytes     -> ldx_wide + stx_wide
//   mov/rsh/mov32 and stxb storing one value's bytes little-endian  -> stx_wide at the run's start
import { extForm, ldxWide, stxWide, WIDE_MAX_WEIGHT } from "./ext.js";
import type { FuseContext } from "./fuse.js";
import { opInfo, type Op } from "./ops.js";
import { provenPacketAccess, provenValueAccess } from "./ptrs.js";

// ------------------------------------------------------------------ combined loads

/** A register's value as bytes: per result byte (low first) the loaded byte's offset, or Z (zero). */
type Bytes = readonly number[];
const Z = Number.NaN;
const isZ = (x: number): boolean => Number.isNaN(x);
const zeros = (): number[] => new Array<number>(8).fill(Z);

/** The longest run starting at ops[i] that assembles a wide packet value, as a fused op. */
function combineAt(ops: readonly Op[], i: number, cx: FuseContext): { op: Op; last: number } | undefined {
  const first = ops[i]!.insn;
  if (ops[i]!.hi || first.opcode !== 0x71 || first.dst === first.src) return undefined;
  const base = first.src;
  const facts = cx.facts[ops[i]!.origin[0]!];
  if (facts?.pkt[base] === undefined) return undefined;
  const sym = new Map<number, Bytes>();
  const written = new Set<number>();
  // every load of the run must be proven, not only the bytes of the result (a run may
  // hold loads whose values die in it: they go away too, so they must not have faulted)
  let loadsProven = true;
  let best: { op: Op; last: number } | undefined;
  for (let j = i; j < ops.length && j < i + 32; j++) {
    const op = ops[j]!;
    const s = op.insn;
    if (op.hi || extForm(s)) break;
    const x = sym.get(s.dst);
    const y = sym.get(s.src);
    let v: number[] | undefined;
    switch (s.opcode) {
      case 0x71: // ldxb rd, [base + off]
        if (s.src !== base || s.dst === base) return best;
        v = zeros();
        v[0] = s.off;
        loadsProven &&= provenPacketAccess(facts, base, s.off, 1);
        break;
      case 0x67: // lsh64 rd, 8m
      case 0x64: { // lsh32 rd, 8m: the value fits 32 bits and stays zero-extended
        const width = s.opcode === 0x64 ? 4 : 8;
        const m = s.imm / 8;
        if (!x || s.off !== 0 || !Number.isInteger(m) || m < 0 || m >= width) return best;
        if (x.slice(width).some((b) => !isZ(b)) || x.slice(width - m, width).some((b) => !isZ(b))) return best;
        v = zeros();
        for (let t = 0; t + m < width; t++) v[t + m] = x[t]!;
        break;
      }
      case 0x4f: // or64 rd, rs
      case 0x4c: { // or32: both fit 32 bits
        if (!x || !y || s.off !== 0) return best;
        if (s.opcode === 0x4c && [...x.slice(4), ...y.slice(4)].some((b) => !isZ(b))) return best;
        v = zeros();
        for (let t = 0; t < 8; t++) {
          if (!isZ(x[t]!) && !isZ(y[t]!)) return best;
          v[t] = isZ(x[t]!) ? y[t]! : x[t]!;
        }
        break;
      }
      case 0xbf: // mov64 rd, rs
      case 0xbc: // mov32 rd, rs: fits 32 bits
        if (!y || s.off !== 0 || (s.opcode === 0xbc && y.slice(4).some((b) => !isZ(b)))) return best;
        v = [...y];
        break;
      default:
        return best;
    }
    if (s.dst === base) return best;
    sym.set(s.dst, v);
    written.add(s.dst);
    const wide = assembled(v);
    if (!wide) continue;
    // every other register the run wrote must be dead after it
    const at = op.origin[op.origin.length - 1]!;
    const live = cx.liveIn(at + 1);
    if ([...written].some((r) => r !== s.dst && (live & (1 << r)) !== 0)) continue;
    if (!loadsProven || !provenPacketAccess(facts, base, wide.off, wide.bytes)) continue;
    const weight = j - i + 1;
    if (weight > WIDE_MAX_WEIGHT) break;
    const origin = ops.slice(i, j + 1).flatMap((o) => o.origin);
    best = { op: { insn: ldxWide(wide.bytes, s.dst, base, wide.off, wide.bigEndian, weight), origin }, last: j };
  }
  return best;
}

/** 2, 4 or 8 contiguous bytes in the low bytes, in little- or big-endian order, the rest zero. */
function assembled(v: Bytes): { bytes: 2 | 4 | 8; off: number; bigEndian: boolean } | undefined {
  const n = v.findIndex(isZ) < 0 ? 8 : v.findIndex(isZ);
  if ((n !== 2 && n !== 4 && n !== 8) || v.slice(n).some((b) => !isZ(b))) return undefined;
  const le = v.slice(0, n).every((b, t) => b === v[0]! + t);
  if (le) return { bytes: n, off: v[0]!, bigEndian: false };
  const be = v.slice(0, n).every((b, t) => b === v[n - 1]! + (n - 1 - t));
  return be ? { bytes: n, off: v[n - 1]!, bigEndian: true } : undefined;
}

// ------------------------------------------------------------------ byte-by-byte copies

const COPY_BYTES = new Set([2, 4, 6, 8]);

/**
 * The longest run of `ldxb rT, [rS+a]; stxb [rD+a+d], rT` pairs from ops[i] that copies
 * 2, 4, 6 or 8 contiguous bytes: one ldx_wide and one stx_wide, when rT is dead after it,
 * no store of the run writes a byte a later load of it reads, and every access is proven
 * (loads from the packet or a non-NULL map value, stores into the packet), so that no
 * original access could fault and the fault site cannot move.
 */
function copyAt(ops: readonly Op[], i: number, cx: FuseContext): { ops: Op[]; last: number } | undefined {
  const l0 = ops[i]?.insn;
  const s0 = ops[i + 1]?.insn;
  if (!l0 || !s0 || ops[i]!.hi || l0.opcode !== 0x71 || s0.opcode !== 0x73 || s0.src !== l0.dst) return undefined;
  const [rt, rs, rd, delta] = [l0.dst, l0.src, s0.dst, s0.off - l0.off];
  if (rd === rt) return undefined;
  const facts = cx.facts[ops[i]!.origin[0]!];
  const size = cx.valueSize ?? (() => undefined);
  // different registers: provably different regions (the packet and a map value), else the same register
  const apart = rs !== rd && facts !== undefined && facts.pkt[rd] !== undefined && facts.val[rs] !== undefined;
  if (rs !== rd && !apart) return undefined;
  const loads: number[] = [];
  const stores: number[] = [];
  let best: { ops: Op[]; last: number } | undefined;
  for (let j = i; j + 1 < ops.length; j += 2) {
    const l = ops[j]!.insn;
    const st = ops[j + 1]!.insn;
    if (ops[j]!.hi || l.opcode !== 0x71 || st.opcode !== 0x73 || l.dst !== rt || l.src !== rs || st.dst !== rd || st.src !== rt || st.off - l.off !== delta) break;
    // a store of the run writing a byte a later load reads (same register only)
    if (rs === rd && stores.includes(l.off)) break;
    if (loads.includes(l.off)) break;
    loads.push(l.off);
    stores.push(st.off);
    const lo = Math.min(...loads);
    const n = loads.length;
    const contiguous = Math.max(...loads) - lo + 1 === n;
    const at = ops[j + 1]!.origin[0]!;
    const dead = (cx.liveIn(at + 1) & (1 << rt)) === 0;
    const loadOk = provenPacketAccess(facts, rs, lo, n) || provenValueAccess(facts, rs, lo, n, size);
    const storeOk = provenPacketAccess(facts, rd, lo + delta, n);
    if (COPY_BYTES.has(n) && contiguous && dead && loadOk && storeOk) {
      const origin = ops.slice(i, j + 2).flatMap((o) => o.origin);
      const bytes = n as 2 | 4 | 6 | 8;
      best = {
        ops: [
          { insn: ldxWide(bytes, rt, rs, lo, false, n), origin: origin.filter((_, k) => k % 2 === 0) },
          { insn: stxWide(bytes, rd, lo + delta, rt, n), origin: origin.filter((_, k) => k % 2 === 1) },
        ],
        last: j + 1,
      };
    }
    // the load overwrote its own base: nothing after it reads the same address
    if (rt === rs || n >= 8) break;
  }
  return best;
}

// ------------------------------------------------------------------ stores of shifted bytes

/** A register's value in a store run: (register v's value at the run's start >> 8*shift), of which the low `width` bytes may be non-zero. */
interface Shifted {
  readonly v: number;
  readonly shift: number;
  readonly width: number;
}

/**
 * The longest run from ops[i] of `mov`, `rsh` by whole bytes and `stxb` that stores the
 * bytes of one register's value, little-endian, at [rd+o .. rd+o+n) (n = 2/4/6/8, each
 * byte once): one stx_wide of that register at the run's start (the value it had there),
 * then the run's ALU operations unchanged (pure, any lane). The run holds no load, so the
 * stores may all move to its start; they must be proven in the packet (none could fault).
 */
function storesAt(ops: readonly Op[], i: number, cx: FuseContext): { ops: Op[]; last: number } | undefined {
  const facts = cx.facts[ops[i]!.origin[0]!];
  if (!facts) return undefined;
  const sym = new Map<number, Shifted>();
  const at = (r: number): Shifted | undefined => sym.get(r) ?? { v: r, shift: 0, width: 8 };
  const written = new Set<number>();
  let base: number | undefined;
  let v: number | undefined;
  const stored = new Map<number, number>(); // offset -> byte of v
  let best: { ops: Op[]; last: number } | undefined;
  for (let j = i; j < ops.length && j < i + 32; j++) {
    const op = ops[j]!;
    const s = op.insn;
    if (op.hi || extForm(s)) break;
    if (s.opcode === 0x73) { // stxb [base + off], src
      if (base === undefined) base = s.dst;
      const x = at(s.src);
      if (s.dst !== base || written.has(base) || !x || x.width < 1 || (v !== undefined && x.v !== v) || stored.has(s.off)) break;
      // the value's register must still hold it at the run's start: it is not written before it is read there
      v = x.v;
      stored.set(s.off, x.shift);
      const offs = [...stored.keys()];
      const lo = Math.min(...offs);
      const n = stored.size;
      const le = Math.max(...offs) - lo + 1 === n && [...stored].every(([o, b]) => b === o - lo);
      if (COPY_BYTES.has(n) && le && v !== base && provenPacketAccess(facts, base, lo, n)) {
        // the run's ALU operations whose results are dead after it (backwards) go too:
        // the store retires them, so that retired still equals the interpreter's steps
        let live = cx.liveIn(op.origin[0]! + 1);
        const kept: Op[] = [];
        const gone: Op[] = [];
        for (const o of ops.slice(i, j + 1).reverse()) {
          if (o.insn.opcode === 0x73) continue;
          const info = opInfo(o);
          if ((live & (1 << o.insn.dst)) === 0) gone.push(o);
          else {
            kept.unshift(o);
            live = (live & ~(1 << o.insn.dst)) | info.reads.reduce((m, r) => m | (1 << r), 0);
          }
        }
        const origin = [...ops.slice(i, j + 1).filter((o) => o.insn.opcode === 0x73), ...gone].flatMap((o) => o.origin).sort((a, b) => a - b);
        if (n + gone.length <= WIDE_MAX_WEIGHT) best = { ops: [{ insn: stxWide(n as 2 | 4 | 6 | 8, base, lo, v, n + gone.length), origin }, ...kept], last: j };
      }
      continue;
    }
    const x = at(s.src);
    const d = at(s.dst);
    let next: Shifted | undefined;
    if (s.opcode === 0xbf && s.off === 0) next = x; // mov64
    else if (s.opcode === 0xbc && s.off === 0 && x) next = { ...x, width: Math.min(x.width, 4) }; // mov32: the low 4 bytes
    else if (s.opcode === 0x77 && s.off === 0 && s.imm > 0 && s.imm < 64 && s.imm % 8 === 0 && d) next = { ...d, shift: d.shift + s.imm / 8, width: d.width - s.imm / 8 }; // rsh64 by whole bytes
    else break;
    if (s.dst === base) break;
    written.add(s.dst);
    sym.set(s.dst, next!);
  }
  return best;
}

/** Every run `at` finds, left to right, replaced by what it gives. */
function runs(ops: readonly Op[], at: (i: number) => { ops: Op[]; last: number } | undefined): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const c = at(i);
    if (c) {
      out.push(...c.ops);
      i = c.last;
    } else out.push(ops[i]!);
  }
  return out;
}

/** Byte loads assembled into one register: one ldx_wide each. */
export function combineLoads(ops: readonly Op[], cx: FuseContext): Op[] {
  return runs(ops, (i) => {
    const c = combineAt(ops, i, cx);
    return c && { ops: [c.op], last: c.last };
  });
}

/** Byte-by-byte copies (ldx_wide + stx_wide), then values stored byte by byte (stx_wide). */
export function combineCopiesAndStores(ops: readonly Op[], cx: FuseContext): Op[] {
  const copied = runs(ops, (i) => copyAt(ops, i, cx));
  return runs(copied, (i) => storesAt(copied, i, cx));
}

