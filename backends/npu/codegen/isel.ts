// Instruction selection: IR -> VCode for the 32-bit datapath (docs/npu-isa.md §Code
// generation). A 64-bit value is a (lo, hi) pair of virtual registers, or lo alone when
// width.ts proves the high word zero. 64-bit add and subtract are carry pairs; compares
// are a subtract with borrow and a branch on the flags; multiply goes through the
// multiply-step unit (three or four words); division and modulo by a variable run the
// shift-subtract routine inline, by a constant multiply by its reciprocal. Memory accesses are commands with an explicit wait, so that sched.ts can
// move independent work between the two; map operations are lookup engine commands.
//
// Needs: an optimised IR module that validates (ir/core/validate.ts). Keeps: every value's
// meaning as runtime/interp defines it, for the engine's address map (layout.ts).
import { usesOf as usesOfTerm, type Arg, type Block, type BlockCall, type Func, type Inst, type Module } from "../../../ir/core/ir.js";

/** bpf_tail_call's helper number (runtime/helpers/table.ts). */
const TAIL_CALL = 12;
import { CTX_FIELDS } from "../../../ir/core/ops.js";
import { printInst, printTerm } from "../../../ir/text/print.js";
import { fail } from "../../../ir/diag/diag.js";
import { A, B, COND_CODE, MEM_SIZES, NONE, SA, SH_SA, XR, XW, ATOMIC_OPS, LOOKUP_KINDS, type Operand } from "../isa.js";
import { FRAME, WINDOW, windowAddress } from "../layout.js";
import type { Loc, VFunc, VInst } from "./vcode.js";
import { highWordNeeded, valueWidths } from "./width.js";
import { ORDERED_HELPERS, packetOrdering, releasesOnHit, type Ordering } from "./ordering.js";

/** Registers the allocator never hands out (regalloc.ts keeps the same list). */
export const FP: Operand = A(13);
export const LINK: Operand = B(13);
/** xdp_md field offsets in the engine's packet descriptor (ctx window): 32-bit words. */
const CTX_WORD: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(CTX_FIELDS).map(([k, v]) => [k, v.offset]));

/** A word as isel sees it: a register (virtual or fixed) or a known constant. */
type W = { k: "v"; v: number } | { k: "p"; op: Operand } | { k: "c"; n: number };
interface Val { lo: W; hi: W }

const C = (n: number): W => ({ k: "c", n: n >>> 0 });
const ZERO = C(0);

const COND_BY_IR: Readonly<Record<string, { u32: string; swap?: boolean }>> = {
  eq: { u32: "eq" }, ne: { u32: "ne" },
  ugt: { u32: "hi" }, uge: { u32: "cs" }, ult: { u32: "cc" }, ule: { u32: "ls" },
  sgt: { u32: "gt" }, sge: { u32: "ge" }, slt: { u32: "lt" }, sle: { u32: "le" },
};
/** 64-bit ordered compares from a subtract pair, which yields C and N^V but no Z: swap operands for > and <=. */
const COND64: Readonly<Record<string, { cond: string; swap: boolean }>> = {
  ult: { cond: "cc", swap: false }, uge: { cond: "cs", swap: false }, ugt: { cond: "cc", swap: true }, ule: { cond: "cs", swap: true },
  slt: { cond: "lt", swap: false }, sge: { cond: "ge", swap: false }, sgt: { cond: "lt", swap: true }, sle: { cond: "ge", swap: true },
};
/** When both operands fit in 32 bits (so are non-negative), a signed 64-bit compare is the unsigned 32-bit one. */
const SIGNED_AS_UNSIGNED: Readonly<Record<string, string>> = { sgt: "ugt", sge: "uge", slt: "ult", sle: "ule" };
export const INVERSE: Readonly<Record<string, string>> = { al: "nv", nv: "al", eq: "ne", ne: "eq", cs: "cc", cc: "cs", mi: "pl", pl: "mi", vs: "vc", vc: "vs", hi: "ls", ls: "hi", ge: "lt", lt: "ge", gt: "le", le: "gt" };

/**
 * Memories that cannot overlap, by IR region: the packet (or a raw program's input
 * memory), the stack, map values (global data is a map value), the packet descriptor.
 */
function regionClass(region: string): string {
  if (region === "packet" || region === "mem") return "packet";
  if (region === "map_value" || region === "global") return "map";
  if (region === "stack" || region === "ctx") return region;
  return "any";
}

/** The 16-bit immediate forms of the b side: x, x<<16, ~x, ~(x<<16). */
export function immForm(n: number): VInst["imm"] | undefined {
  n >>>= 0;
  if (n <= 0xffff) return { imm: n, ihi: false, inv: false };
  if ((n & 0xffff) === 0) return { imm: n >>> 16, ihi: true, inv: false };
  const m = ~n >>> 0;
  if (m <= 0xffff) return { imm: m, ihi: false, inv: true };
  if ((m & 0xffff) === 0) return { imm: m >>> 16, ihi: true, inv: true };
  return undefined;
}

interface FuncInfo { readonly name: string; readonly params: number }

export interface IselOptions {
  /** Every scalar a register pair: the naive translation (for the measured saving). */
  readonly pairs?: boolean;
  /** Map index -> its definition, for array element addresses. */
  readonly module: Module;
  /** Which commands go in packet order (packetOrdering of the module). */
  readonly ordering?: Ordering;
  /** Programs in the image, for tail calls (lkp.tail's bound on the program number). */
  readonly programs?: number;
}

class Selector {
  readonly out: VInst[] = [];
  private nv = 0;
  private readonly vals = new Map<number, Val>();
  private readonly widths: Map<number, number>;
  /** Values whose high word a reader needs (undefined: all, the pair translation). */
  private readonly needHigh: Set<number> | undefined;
  private readonly blocks: Map<string, Block>;
  private labels = 0;
  private xferNext = 0;
  private sigNext = 0;
  private note = "";
  /**
   * What every word made without a BPF origin says in the listing (the prologue, the edge
   * moves of a fall-through), so that no word of the listing is unexplained.
   */
  private tag = "";
  /** The BPF slot of the IR instruction being selected: every word it makes carries it. */
  private origin: number | undefined;
  /** icmp values whose only use is their block's br_if: compared there, never materialised. */
  private readonly fused = new Set<number>();
  private readonly defs = new Map<number, Inst>();
  private readonly stubs: VInst[][] = [];
  /** Values something reads. */
  private readonly used = new Set<number>();

  constructor(private readonly f: Func, private readonly opts: IselOptions, private readonly isEntry: boolean, private readonly funcs: ReadonlyMap<string, FuncInfo>) {
    this.widths = valueWidths(f, opts.pairs ?? false);
    this.needHigh = opts.pairs ? undefined : highWordNeeded(f, this.widths);
    this.blocks = new Map(f.blocks.map((b) => [b.name, b]));
    const uses = new Map<number, number>();
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.result !== undefined) this.defs.set(i.result, i);
        for (const a of i.args) if (a.kind === "value") uses.set(a.id, (uses.get(a.id) ?? 0) + 1);
      }
      const t = b.term;
      const args = t.op === "br" ? t.to.args : t.op === "br_if" ? [t.cond, ...t.then.args, ...t.else.args] : t.op === "ret" ? [t.value] : [];
      for (const a of args) if (a.kind === "value") uses.set(a.id, (uses.get(a.id) ?? 0) + 1);
    }
    for (const id of uses.keys()) this.used.add(id);
    for (const b of f.blocks) {
      const t = b.term;
      if (t.op !== "br_if" || t.cond.kind !== "value") continue;
      const d = b.insts.find((i) => i.result === (t.cond as { id: number }).id);
      if (d && uses.get(d.result!) === 1 && /^(icmp|packet\.check)/.test(d.op)) this.fused.add(d.result!);
    }
  }

  // ------------------------------------------------------------ emission helpers
  private emit(i: VInst): VInst {
    if (this.note) i.note = this.note;
    else if (this.tag && this.origin === undefined) i.note = this.tag;
    if (this.origin !== undefined) i.origin = this.origin;
    this.note = "";
    this.out.push(i);
    return i;
  }
  private vreg(): W { return { k: "v", v: this.nv++ }; }
  private loc(w: W): Loc { return w.k === "v" ? { k: "v", v: w.v } : w.k === "p" ? { k: "p", op: w.op } : fail("codegen", {}, ["bug: constant where a register is needed"]); }
  newLabel(): string { return `.L${this.f.name}.${this.labels++}`; }
  private label(name: string): void {
    // A constant made before a label may not have been made on every path to it.
    this.consts.clear();
    this.out.push({ op: "label", label: name });
  }
  /** Constants already in a register since the last label (straight-line code: they dominate their reuses). */
  private readonly consts = new Map<number, W>();
  private br(cond: string, label: string): void { this.emit({ op: "br", cond: COND_CODE.get(cond)!, label }); }

  /**
   * A constant in a register: one word when the immediate forms reach it, else two (movb
   * then immw1), reused until the next label. `fresh`: a register of its own, for code that writes it.
   */
  private materialise(n: number, fresh = false): W {
    n >>>= 0;
    const known = fresh ? undefined : this.consts.get(n);
    if (known) return known;
    const d = this.vreg();
    if (!fresh) this.consts.set(n, d);
    const f = immForm(n);
    if (f) this.emit({ op: "movb", dst: this.loc(d), imm: f });
    else {
      this.emit({ op: "movb", dst: this.loc(d), imm: { imm: n & 0xffff, ihi: false, inv: false } });
      this.emit({ op: "immw1", dst: this.loc(d), field: n >>> 16 });
    }
    return d;
  }
  private reg(w: W): W { return w.k === "c" ? this.materialise(w.n) : w; }

  /** dst = a op b, the b side an immediate when one fits; commutative ops put a constant on the b side. */
  private alu(op: string, a: W, b: W, dst: W = this.vreg()): W {
    if (a.k === "c" && b.k !== "c" && ["add", "and", "or", "xor", "mul_lo", "mul_hi"].includes(op)) [a, b] = [b, a];
    const i: VInst = { op, dst: dst.k === "c" ? { k: "p", op: NONE } : this.loc(dst), a: this.loc(this.reg(a)) };
    const f = b.k === "c" ? immForm(b.n) : undefined;
    if (f) i.imm = f;
    else i.b = this.loc(this.reg(b));
    this.emit(i);
    return dst;
  }
  /** A compare's ALU word: the result dropped, the flags kept. */
  private flags(op: string, a: W, b: W): void { this.alu(op, a, b, ZERO); }
  private shift(op: "shl" | "shr" | "asr", a: W, n: number | "sa"): W {
    if (a.k === "c" && n !== "sa") {
      const v = a.n;
      if (op === "shl") return C(n >= 32 ? 0 : v << n);
      if (op === "shr") return C(n >= 32 ? 0 : v >>> n);
      return C(n >= 32 ? v >> 31 : v >> n);
    }
    const d = this.vreg();
    this.emit({ op, dst: this.loc(d), a: this.loc(this.reg(a)), sh: n === "sa" ? SH_SA : n });
    return d;
  }
  private dshift(op: "dshl" | "dshr" | "dasr", hi: W, lo: W, n: number | "sa"): W {
    const d = this.vreg();
    this.emit({ op, dst: this.loc(d), a: this.loc(this.reg(hi)), b: this.loc(this.reg(lo)), sh: n === "sa" ? SH_SA : n });
    return d;
  }
  private mov(dst: W, src: W): void {
    if (src.k === "c") {
      const f = immForm(src.n);
      if (f) this.emit({ op: "movb", dst: this.loc(dst), imm: f });
      else if (dst.k === "p" && dst.op.kind !== "A" && dst.op.kind !== "B") {
        // immw1 keeps the low half of its destination: a transfer register cannot be read back.
        this.mov(dst, this.materialise(src.n));
      } else {
        this.emit({ op: "movb", dst: this.loc(dst), imm: { imm: src.n & 0xffff, ihi: false, inv: false } });
        this.emit({ op: "immw1", dst: this.loc(dst), field: src.n >>> 16 });
      }
    } else if (!(src.k === dst.k && (src.k === "v" ? src.v === (dst as { v: number }).v : false))) {
      // `mova` or `movb` by the source's bank; the allocator fixes a wrong guess with its own move.
      this.emit({ op: src.k === "p" && src.op.kind === "B" ? "movb" : "mova", dst: this.loc(dst), ...(src.k === "p" && src.op.kind === "B" ? { b: this.loc(src) } : { a: this.loc(src) }) });
    }
  }
  private copy(src: W): W {
    if (src.k === "c") return src;
    const d = this.vreg();
    this.mov(d, src);
    return d;
  }

  // ------------------------------------------------------------ values
  /** A value kept as a pair: it may exceed 32 bits and a reader needs its high word. */
  private wide(id: number): boolean { return (this.widths.get(id) ?? 64) > 32 && (this.needHigh?.has(id) ?? true); }
  /** A value that truly fits 32 bits (zero high word), for compares that may then use one word. */
  private fits32(id: number): boolean { return (this.widths.get(id) ?? 64) <= 32; }
  private val(a: Arg): Val {
    if (a.kind === "imm") {
      const v = BigInt.asUintN(64, a.value);
      return { lo: C(Number(v & 0xffffffffn)), hi: C(Number(v >> 32n)) };
    }
    if (a.kind !== "value") return fail("codegen", {}, [`bug: operand ${a.kind} where a value is needed`]);
    const v = this.vals.get(a.id);
    if (!v) return fail("codegen", {}, [`bug: value %${a.id} used before selection`]);
    return v;
  }
  private set(id: number, lo: W, hi: W = ZERO): void { this.vals.set(id, { lo, hi: this.wide(id) ? hi : ZERO }); }
  private fresh(id: number): Val {
    const v = { lo: this.vreg(), hi: this.wide(id) ? this.vreg() : ZERO };
    this.vals.set(id, v);
    return v;
  }
  private imm16(a: Arg | undefined, what: string): number {
    if (a?.kind !== "imm") return fail("codegen", {}, [`${what} must be a constant`]);
    return Number(a.value);
  }

  // ------------------------------------------------------------ memory commands
  private nextXfer(words: number): number {
    // Rotating over $r0..$r11 (and signals 1..6) lets sched.ts keep a command in flight
    // while the next is issued; $r12..$r15 and sig7 belong to the allocator's spill code.
    if (this.xferNext + words > 12) this.xferNext = 0;
    const x = this.xferNext;
    this.xferNext += words;
    return x;
  }
  private nextSig(): number {
    this.sigNext = (this.sigNext % 6) + 1;
    return this.sigNext;
  }
  /** An address as (register, 16-bit offset). */
  private address(ptr: W, off: number): { a: Loc; off: number } {
    if (ptr.k === "c") return { a: this.loc(this.materialise(ptr.n + off)), off: 0 };
    if (off < -0x8000 || off > 0x7fff) return { a: this.loc(this.alu("add", ptr, C(off))), off: 0 };
    return { a: this.loc(ptr), off };
  }
  private read(ptr: W, off: number, size: number, region = "any", ord = false): { lo: W; hi: W } {
    const words = size === 8 ? 2 : 1;
    const x = this.nextXfer(words), sig = this.nextSig();
    const at = this.address(ptr, off);
    this.emit({ op: "rd", size: MEM_SIZES.indexOf(size as 1), xfer: x, sig, a: at.a, field: at.off & 0xffff, region: regionClass(region), ord });
    this.emit({ op: "wait", field: 1 << sig });
    const lo = this.copy({ k: "p", op: XR(x) });
    const hi = words === 2 ? this.copy({ k: "p", op: XR(x + 1) }) : ZERO;
    return { lo, hi };
  }
  private write(ptr: W, off: number, size: number, v: Val, region = "any", ord = false): void {
    // Posted write: the data is taken at issue, nobody waits on sig0 (layout of docs/npu-isa.md §Signals).
    this.mov({ k: "p", op: XW(0) }, v.lo);
    if (size === 8) this.mov({ k: "p", op: XW(1) }, v.hi);
    const at = this.address(ptr, off);
    this.emit({ op: "wr", size: MEM_SIZES.indexOf(size as 1), xfer: 0, sig: 0, a: at.a, field: at.off & 0xffff, region: regionClass(region), ord });
  }

  // ------------------------------------------------------------ compares
  /** Emits the flag-setting words of an IR compare; returns the condition that is true when the compare holds. */
  private compare(op: string, x: Arg, y: Arg): string {
    const is32 = op.startsWith("icmp32");
    let c = op.slice(op.indexOf(".") + 1);
    let a = this.val(x), b = this.val(y);
    const narrow = (arg: Arg, v: Val) => (arg.kind === "value" ? this.fits32(arg.id) : v.hi.k === "c" && v.hi.n === 0);
    const both32 = !is32 && narrow(x, a) && narrow(y, b);
    if (c === "set") {
      if (is32 || both32) this.flags("and", a.lo, b.lo);
      else this.flags("or", this.alu("and", a.lo, b.lo), this.alu("and", a.hi, b.hi));
      return "ne";
    }
    if (is32 || both32) {
      if (both32 && SIGNED_AS_UNSIGNED[c]) c = SIGNED_AS_UNSIGNED[c]!;
      // Keep the constant on the b side: swap the operands and mirror the condition.
      if (a.lo.k === "c" && b.lo.k !== "c") {
        [a, b] = [b, a];
        c = ({ eq: "eq", ne: "ne", ugt: "ult", uge: "ule", ult: "ugt", ule: "uge", sgt: "slt", sge: "sle", slt: "sgt", sle: "sge" } as Record<string, string>)[c]!;
      }
      this.flags("sub", a.lo, b.lo);
      return COND_BY_IR[c]!.u32;
    }
    if (c === "eq" || c === "ne") {
      this.flags("or", this.alu("xor", a.lo, b.lo), this.alu("xor", a.hi, b.hi));
      return c;
    }
    const m = COND64[c]!;
    if (m.swap) [a, b] = [b, a];
    this.flags("sub", a.lo, b.lo);
    this.flags("subc", a.hi, b.hi);
    return m.cond;
  }

  /** dst = 1 when cond holds after the flags were set, else 0. */
  private bool(cond: string): W {
    const d = this.vreg();
    const skip = this.newLabel();
    this.mov(d, C(1));
    this.br(cond, skip);
    this.mov(d, C(0));
    this.label(skip);
    return d;
  }

  // ------------------------------------------------------------ arithmetic
  private shiftAmount(b: Val, mask: number): number | "sa" {
    if (b.lo.k === "c") return b.lo.n & mask;
    this.alu("and", b.lo, C(mask), { k: "p", op: SA });
    return "sa";
  }

  private shift64(op: string, a: Val, b: Val): Val {
    const n = this.shiftAmount(b, 63);
    if (typeof n === "number") {
      if (n === 0) return a;
      if (op === "shl") return n >= 32 ? { lo: ZERO, hi: this.shift("shl", a.lo, n - 32) } : { lo: this.shift("shl", a.lo, n), hi: this.dshift("dshl", a.hi, a.lo, n) };
      if (op === "lshr") return n >= 32 ? { lo: this.shift("shr", a.hi, n - 32), hi: ZERO } : { lo: this.dshift("dshr", a.hi, a.lo, n), hi: this.shift("shr", a.hi, n) };
      return n >= 32 ? { lo: this.shift("asr", a.hi, n - 32), hi: this.shift("asr", a.hi, 31) } : { lo: this.dshift("dshr", a.hi, a.lo, n), hi: this.shift("asr", a.hi, n) };
    }
    if (op === "shl") return { hi: this.dshift("dshl", a.hi, a.lo, "sa"), lo: this.shift("shl", a.lo, "sa") };
    if (op === "lshr") return { lo: this.dshift("dshr", a.hi, a.lo, "sa"), hi: this.shift("shr", a.hi, "sa") };
    return { lo: this.dshift("dasr", a.hi, a.lo, "sa"), hi: this.shift("asr", a.hi, "sa") };
  }

  private mul64(a: Val, b: Val): Val {
    const lo = this.alu("mul_lo", a.lo, b.lo);
    let hi = this.alu("mul_hi", a.lo, b.lo);
    if (!(b.hi.k === "c" && b.hi.n === 0)) hi = this.alu("add", hi, this.alu("mul_lo", a.lo, b.hi));
    if (!(a.hi.k === "c" && a.hi.n === 0)) hi = this.alu("add", hi, this.alu("mul_lo", a.hi, b.lo));
    return { lo, hi };
  }

  /** 64-bit (or 32-bit: words = 1) negation in place of a value, when `negate` holds. */
  private negateIf(cond: string, v: Val, words: 1 | 2): Val {
    const out = { lo: this.copy(v.lo), hi: words === 2 ? this.copy(v.hi) : ZERO };
    const skip = this.newLabel();
    this.br(INVERSE[cond]!, skip);
    this.alu("rsub", out.lo, ZERO, out.lo);
    if (words === 2) this.alu("rsubc", out.hi, ZERO, out.hi);
    this.label(skip);
    return out;
  }

  /**
   * The division routine (restoring shift-subtract, one quotient bit a round), inline:
   * BPF's x/0 = 0 and x%0 = x first, then `words * 32` rounds. Signed forms divide the
   * magnitudes and fix the signs (RFC 9669 §4.1: the remainder takes the dividend's sign).
   */
  private divide(op: string, x: Val, y: Val, words: 1 | 2): Val {
    const signed = op.startsWith("s");
    const wantRem = op.endsWith("rem");
    const n0 = { lo: this.reg(x.lo), hi: words === 2 ? this.reg(x.hi) : ZERO };
    const d0 = { lo: this.reg(y.lo), hi: words === 2 ? this.reg(y.hi) : ZERO };
    const res = { lo: this.vreg(), hi: words === 2 ? this.vreg() : ZERO };
    const end = this.newLabel(), nonzero = this.newLabel();
    const known = y.lo.k === "c" && y.hi.k === "c" ? (y.lo.n !== 0 || (words === 2 && y.hi.n !== 0) ? "nonzero" : "zero") : undefined;
    if (known === "zero") return wantRem ? { lo: x.lo, hi: words === 2 ? x.hi : ZERO } : { lo: ZERO, hi: ZERO };
    // d == 0: the quotient 0, the remainder the dividend (no test when d is a constant).
    if (known === undefined) {
      if (words === 2) this.flags("or", d0.lo, d0.hi);
      else this.flags("sub", d0.lo, ZERO);
      this.br("ne", nonzero);
      this.mov(res.lo, wantRem ? n0.lo : ZERO);
      if (words === 2) this.mov(res.hi, wantRem ? n0.hi : ZERO);
      this.br("al", end);
    }
    this.label(nonzero);
    let n = n0, d = d0;
    const top = (v: Val) => (words === 2 ? v.hi : v.lo);
    if (signed) {
      this.flags("sub", top(n0), ZERO);
      n = this.negateIf("mi", n0, words);
      this.flags("sub", top(d0), ZERO);
      d = this.negateIf("mi", d0, words);
    }
    const q = { lo: this.vreg(), hi: words === 2 ? this.vreg() : ZERO };
    const r = { lo: this.vreg(), hi: words === 2 ? this.vreg() : ZERO };
    const nn = { lo: this.copy(n.lo), hi: words === 2 ? this.copy(n.hi) : ZERO };
    for (const w of [q.lo, q.hi, r.lo, r.hi]) if (w.k === "v") this.mov(w, ZERO);
    const count = this.materialise(words * 32, true);
    const loop = this.newLabel(), skip = this.newLabel();
    this.label(loop);
    // (r : n) <<= 1 and q <<= 1, high words first: each dshl reads the words below before they shift.
    if (words === 2) {
      this.dshiftInto("dshl", r.hi, r.hi, r.lo, 1);
      this.dshiftInto("dshl", r.lo, r.lo, nn.hi, 1);
      this.dshiftInto("dshl", nn.hi, nn.hi, nn.lo, 1);
      this.dshiftInto("dshl", q.hi, q.hi, q.lo, 1);
    } else this.dshiftInto("dshl", r.lo, r.lo, nn.lo, 1);
    this.shiftInto("shl", nn.lo, nn.lo, 1);
    this.shiftInto("shl", q.lo, q.lo, 1);
    const tlo = this.alu("sub", r.lo, d.lo);
    const thi = words === 2 ? this.alu("subc", r.hi, d.hi) : ZERO;
    this.br("cc", skip);
    this.mov(r.lo, tlo);
    if (words === 2) this.mov(r.hi, thi);
    this.alu("or", q.lo, C(1), q.lo);
    this.label(skip);
    this.alu("sub", count, C(1), count);
    this.br("ne", loop);
    let out = wantRem ? r : q;
    if (signed) {
      // Quotient negative when the signs differ; remainder negative when the dividend is.
      if (wantRem) this.flags("sub", top(n0), ZERO);
      else this.flags("sub", this.alu("xor", top(n0), top(d0)), ZERO);
      out = this.negateIf("mi", out, words);
    }
    this.mov(res.lo, out.lo);
    if (words === 2) this.mov(res.hi, out.hi);
    this.label(end);
    return res;
  }
  /**
   * Division and modulo by a constant without the routine (docs/npu-isa.md §Division by a
   * constant): x/0 and x%0 by their definition, +-1 and powers of two by shifts, anything
   * else by multiplying with a reciprocal. Unsigned: q = mulhi(m, n) >> p when a rounded-up
   * m fits a word (Granlund and Montgomery, "Division by invariant integers using
   * multiplication", 1994, Thm 4.2), else their Figure 4.1, q = (t + ((n - t) >> 1)) >> (l - 1),
   * t = mulhi(m, n). Signed: the magic number of |d| (Warren, Hacker's Delight, §10-1)
   * with the signed high product built from the unsigned one, the quotient negated for
   * d < 0. 64-bit high products come from the multiply-step unit (mulhi64). Remainders
   * are n - q * d. Undefined: the routine (a divisor that is not a constant).
   */
  private constantDivisor(op: string, is32: boolean, x: Val, y: Val): Val | undefined {
    if (y.lo.k !== "c" || y.hi.k !== "c") return undefined;
    const signed = op.startsWith("s"), rem = op.endsWith("rem");
    const dU = is32 ? BigInt(y.lo.n) : (BigInt(y.hi.n) << 32n) | BigInt(y.lo.n);
    if (dU === 0n) return rem ? { lo: x.lo, hi: is32 ? ZERO : x.hi } : { lo: ZERO, hi: ZERO };
    const nHiZero = x.hi.k === "c" && x.hi.n === 0;
    if (is32) {
      if (!signed) return this.udivConst32(rem, x.lo, Number(dU));
      return this.sdivConst(rem, { lo: x.lo, hi: ZERO }, BigInt.asIntN(32, dU), 32);
    }
    // A 64-bit operation on a dividend that fits a word (so is non-negative): 32-bit unsigned work.
    if (nHiZero && (!signed || BigInt.asIntN(64, dU) > 0n)) {
      if (dU >= 1n << 32n) return rem ? { lo: x.lo, hi: ZERO } : { lo: ZERO, hi: ZERO };
      return this.udivConst32(rem, x.lo, Number(dU));
    }
    if (!signed) return this.udivConst64(rem, x, dU);
    return this.sdivConst(rem, x, BigInt.asIntN(64, dU), 64);
  }

  /** n / d or n % d, n and d (2..2^32-1, or any power of two) unsigned words. */
  private udivConst32(rem: boolean, n: W, d: number): Val {
    if ((d & (d - 1)) === 0) {
      const k = Math.log2(d);
      return rem ? { lo: this.alu("and", n, C(d - 1)), hi: ZERO } : { lo: this.shift("shr", n, k), hi: ZERO };
    }
    const mg = unsignedMagic(BigInt(d), 32);
    const t = this.alu("mul_hi", n, C(Number(mg.m)));
    const q = mg.add ? this.shift("shr", this.alu("add", t, this.shift("shr", this.alu("sub", n, t), 1)), mg.shift) : this.shift("shr", t, mg.shift);
    if (!rem) return { lo: q, hi: ZERO };
    return { lo: this.alu("sub", n, this.alu("mul_lo", q, C(d))), hi: ZERO };
  }

  /** 64-bit unsigned n / d or n % d by a constant d >= 2. */
  private udivConst64(rem: boolean, n: Val, d: bigint): Val {
    const k64 = (v: bigint): Val => ({ lo: C(Number(v & 0xffffffffn)), hi: C(Number(v >> 32n)) });
    if ((d & (d - 1n)) === 0n) {
      const k = d.toString(2).length - 1;
      if (rem) return { lo: k >= 32 ? n.lo : this.alu("and", n.lo, C(Number(d - 1n))), hi: k > 32 ? this.alu("and", n.hi, C(Number((d - 1n) >> 32n))) : ZERO };
      return this.shift64("lshr", n, k64(BigInt(k)));
    }
    // d > n for every n below 2^64 that has its top bit clear: d >= 2^63 gives q = n >= d.
    const mg = unsignedMagic(d, 64);
    const t = this.mulhi64(n, mg.m);
    let q: Val;
    if (mg.add) {
      const half = this.shift64("lshr", this.sub64(n, t), k64(1n));
      q = this.shift64("lshr", this.add64(t, half), k64(BigInt(mg.shift)));
    } else q = this.shift64("lshr", t, k64(BigInt(mg.shift)));
    if (!rem) return q;
    return this.sub64(n, this.mul64(q, k64(d)));
  }

  /**
   * Signed n / d or n % d by a constant d != 0, in `bits` (32: n.lo only). Truncates toward
   * zero; INT_MIN / -1 = INT_MIN and INT_MIN % -1 = 0, as BPF's wrapping negation gives.
   */
  private sdivConst(rem: boolean, n: Val, d: bigint, bits: 32 | 64): Val {
    const w64 = bits === 64;
    const k64 = (v: bigint): Val => ({ lo: C(Number(BigInt.asUintN(64, v) & 0xffffffffn)), hi: w64 ? C(Number(BigInt.asUintN(64, v) >> 32n)) : ZERO });
    const neg = (v: Val): Val => (w64 ? { lo: this.alu("rsub", v.lo, ZERO), hi: this.alu("rsubc", v.hi, ZERO) } : { lo: this.alu("rsub", v.lo, ZERO), hi: ZERO });
    const sub = (a: Val, b: Val): Val => (w64 ? this.sub64(a, b) : { lo: this.alu("sub", a.lo, b.lo), hi: ZERO });
    const ashr = (a: Val, k: number): Val => (w64 ? this.shift64("ashr", a, k64(BigInt(k))) : { lo: this.shift("asr", a.lo, k), hi: ZERO });
    const zero: Val = { lo: ZERO, hi: ZERO };
    if (d === 1n) return rem ? zero : n;
    if (d === -1n) return rem ? zero : neg(n);
    const ad = d < 0n ? -d : d;
    // The sign of n as a mask: all ones when negative.
    const sw = this.shift("asr", w64 ? n.hi : n.lo, 31);
    const sign: Val = { lo: sw, hi: w64 ? sw : ZERO };
    if ((ad & (ad - 1n)) === 0n) {
      // t = n + (2^k - 1 when n < 0): q = t >> k (arithmetic), r = n - (t & -2^k).
      const k = ad.toString(2).length - 1;
      const bias = w64 ? this.shift64("lshr", sign, k64(BigInt(64 - k))) : { lo: this.shift("shr", sw, 32 - k), hi: ZERO };
      const t = w64 ? this.add64(n, bias) : { lo: this.alu("add", n.lo, bias.lo), hi: ZERO };
      if (rem) {
        const mask = k64(-(1n << BigInt(k)));
        const kept = { lo: this.alu("and", t.lo, mask.lo), hi: w64 ? this.alu("and", t.hi, mask.hi) : ZERO };
        return sub(n, kept);
      }
      const q = ashr(t, k);
      return d < 0n ? neg(q) : q;
    }
    // t = mulhs(M, n) (+ n when M's top bit is set) = mulhu(M, n) - (M when n < 0), then q = (t >> s) + (1 when n < 0).
    const mg = signedMagic(ad, bits);
    const hu = w64 ? this.mulhi64(n, mg.m) : { lo: this.alu("mul_hi", n.lo, C(Number(mg.m))), hi: ZERO };
    const mm = k64(mg.m);
    const corr = { lo: this.alu("and", sw, mm.lo), hi: w64 ? this.alu("and", sw, mm.hi) : ZERO };
    const t = sub(hu, corr);
    let q = sub(mg.shift ? ashr(t, mg.shift) : t, sign);
    if (d < 0n) q = neg(q);
    if (!rem) return q;
    return sub(n, w64 ? this.mul64(q, k64(d)) : { lo: this.alu("mul_lo", q.lo, C(Number(BigInt.asUintN(32, d)))), hi: ZERO });
  }

  private add64(a: Val, b: Val): Val {
    const lo = this.alu("add", a.lo, b.lo);
    return { lo, hi: this.alu("addc", a.hi, b.hi) };
  }
  private sub64(a: Val, b: Val): Val {
    const lo = this.alu("sub", a.lo, b.lo);
    return { lo, hi: this.alu("subc", a.hi, b.hi) };
  }

  /**
   * The high 64 bits of the unsigned 128-bit product n * m (m a constant) from 32-bit
   * multiply steps: the four partial products, then the middle column's two carries
   * into the high words (multiplies first: they set the flags the carry chain reads).
   */
  private mulhi64(n: Val, m: bigint): Val {
    const m0 = C(Number(m & 0xffffffffn)), m1 = C(Number(m >> 32n));
    const isZero = (w: W) => w.k === "c" && w.n === 0;
    const mul = (op: string, a: W, b: W): W => (isZero(a) || isZero(b) ? ZERO : this.alu(op, a, b));
    const h00 = mul("mul_hi", n.lo, m0);
    const l01 = mul("mul_lo", n.lo, m1), h01 = mul("mul_hi", n.lo, m1);
    const l10 = mul("mul_lo", n.hi, m0), h10 = mul("mul_hi", n.hi, m0);
    const l11 = mul("mul_lo", n.hi, m1), h11 = mul("mul_hi", n.hi, m1);
    // column 1: h00 + l01 + l10 (kept only for its carries); column 2: h01 + h10 + l11; column 3: h11.
    const x0 = this.alu("add", h00, l01);
    const y0 = this.alu("addc", h01, l11);
    const z0 = this.alu("addc", h11, ZERO);
    this.flags("add", x0, l10);
    const y1 = this.alu("addc", y0, h10);
    const z1 = this.alu("addc", z0, ZERO);
    return { lo: y1, hi: z1 };
  }

  private dshiftInto(op: "dshl", dst: W, hi: W, lo: W, n: number): void {
    this.emit({ op, dst: this.loc(dst), a: this.loc(hi), b: this.loc(lo), sh: n });
  }
  private shiftInto(op: "shl", dst: W, a: W, n: number): void {
    this.emit({ op, dst: this.loc(dst), a: this.loc(a), sh: n });
  }

  private binary(op: string, is32: boolean, id: number, x: Val, y: Val): void {
    const narrow = is32 || !this.wide(id);
    switch (op) {
      case "add": case "sub": case "and": case "or": case "xor": {
        if (narrow) return this.set(id, this.alu(op, x.lo, y.lo));
        if (op === "add" || op === "sub") {
          const lo = this.alu(op, x.lo, y.lo);
          return this.set(id, lo, this.alu(op === "add" ? "addc" : "subc", x.hi, y.hi));
        }
        const hi = (a: W, b: W): W => {
          const z = (w: W) => w.k === "c" && w.n === 0;
          if (op === "and" && (z(a) || z(b))) return ZERO;
          if (z(a)) return b;
          if (z(b)) return a;
          return this.alu(op, a, b);
        };
        return this.set(id, this.alu(op, x.lo, y.lo), hi(x.hi, y.hi));
      }
      case "mul": {
        if (narrow) return this.set(id, this.alu("mul_lo", x.lo, y.lo));
        const v = this.mul64(x, y);
        return this.set(id, v.lo, v.hi);
      }
      case "shl": case "lshr": case "ashr": {
        if (is32) {
          const n = this.shiftAmount(y, 31);
          if (n === 0) return this.set(id, x.lo);
          return this.set(id, this.shift(op === "shl" ? "shl" : op === "lshr" ? "shr" : "asr", x.lo, n));
        }
        // A result that fits a word needs only the low word of a left shift; a right shift of
        // a value that fits a word is a 32-bit logical shift (amounts of 32 and more give 0).
        if (narrow && op === "shl") return this.set(id, this.shift("shl", x.lo, this.shiftAmount(y, 63)));
        if (op !== "shl" && x.hi.k === "c" && x.hi.n === 0) return this.set(id, this.shift("shr", x.lo, this.shiftAmount(y, 63)));
        const v = this.shift64(op, x, y);
        return this.set(id, v.lo, v.hi);
      }
      case "udiv": case "urem": case "sdiv": case "srem": {
        const k = this.constantDivisor(op, is32, x, y);
        if (k) return this.set(id, k.lo, k.hi);
        const words = is32 ? 1 : (x.hi.k === "c" && x.hi.n === 0 && y.hi.k === "c" && y.hi.n === 0 && !op.startsWith("s")) ? 1 : 2;
        const v = this.divide(op, x, y, words);
        return this.set(id, v.lo, v.hi);
      }
    }
    fail("codegen", {}, [`bug: no selection for ${op}`]);
  }

  private unary(op: string, id: number, x: Val): void {
    switch (op) {
      case "neg": { const lo = this.alu("rsub", x.lo, ZERO); return this.set(id, lo, this.wide(id) ? this.alu("rsubc", x.hi, ZERO) : ZERO); }
      case "neg32": return this.set(id, this.alu("rsub", x.lo, ZERO));
      case "zext32": case "le32": return this.set(id, x.lo);
      case "le64": return this.set(id, x.lo, x.hi);
      case "le16": return this.set(id, this.alu("and", x.lo, C(0xffff)));
      case "bswap16": case "be16": return this.set(id, this.shift("shr", this.swap(x.lo), 16));
      case "bswap32": case "be32": return this.set(id, this.swap(x.lo));
      case "bswap64": case "be64": return this.set(id, this.swap(x.hi), this.swap(x.lo));
      case "sext32": return this.set(id, x.lo, this.shift("asr", x.lo, 31));
      case "sext8": case "sext16": case "sext8_32": case "sext16_32": {
        const k = op.startsWith("sext8") ? 24 : 16;
        const lo = this.shift("asr", this.shift("shl", x.lo, k), k);
        return this.set(id, lo, op.endsWith("_32") ? ZERO : this.shift("asr", lo, 31));
      }
    }
    fail("codegen", {}, [`bug: no selection for ${op}`]);
  }
  private swap(w: W): W {
    if (w.k === "c") return C(((w.n & 0xff) << 24) | ((w.n & 0xff00) << 8) | ((w.n >>> 8) & 0xff00) | (w.n >>> 24));
    const d = this.vreg();
    this.emit({ op: "bswap", dst: this.loc(d), a: this.loc(w) });
    return d;
  }

  // ------------------------------------------------------------ instructions
  private inst(i: Inst): void {
    this.note = printInst(i);
    this.origin = i.origin;
    const id = i.result ?? -1;
    const [x, y, z] = i.args;
    const op = i.op;
    const dot = op.indexOf(".");
    const base = dot < 0 ? op : op.slice(0, dot);
    if (op === "const") return this.set(id, this.val(x!).lo, this.val(x!).hi);
    if (op === "undef") return this.set(id, ZERO);
    const bin = /^(add|sub|mul|udiv|sdiv|urem|srem|and|or|xor|shl|lshr|ashr)(32)?$/.exec(op);
    if (bin) return this.binary(bin[1]!, bin[2] === "32", id, this.val(x!), this.val(y!));
    if (/^(neg|neg32|zext32|bswap\d+|be\d+|le\d+|sext\d+(_32)?)$/.test(op)) return this.unary(op, id, this.val(x!));
    if (base === "icmp" || base === "icmp32" || op === "packet.check") {
      if (this.fused.has(id)) return;
      const c = this.compareOf(i);
      return this.set(id, this.bool(c));
    }
    switch (base === "load" || base === "store" || base === "atomic" ? base : op) {
      case "select": {
        const c = this.val(x!), a = this.val(y!), b = this.val(z!);
        const v = this.fresh(id);
        const skip = this.newLabel();
        this.mov(v.lo, b.lo);
        if (v.hi.k === "v") this.mov(v.hi, b.hi);
        this.flags("sub", c.lo, ZERO);
        this.br("eq", skip);
        this.mov(v.lo, a.lo);
        if (v.hi.k === "v") this.mov(v.hi, a.hi);
        this.label(skip);
        return;
      }
      case "load": {
        const size = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4 }[op.slice(5)]!;
        const v = this.read(this.val(y!).lo, this.imm16(z, "a load offset"), size, (x as { word: string }).word, this.ordered(y!, x!));
        if (op.slice(5, 6) === "s") {
          const k = 32 - size * 8;
          const lo = k ? this.shift("asr", this.shift("shl", v.lo, k), k) : v.lo;
          return this.set(id, lo, this.shift("asr", lo, 31));
        }
        return this.set(id, v.lo, v.hi);
      }
      case "store": {
        const size = { u8: 1, u16: 2, u32: 4, u64: 8 }[op.slice(6)]!;
        return this.write(this.val(y!).lo, this.imm16(z, "a store offset"), size, this.val(i.args[3]!), (x as { word: string }).word, this.ordered(y!, x!));
      }
      case "atomic": {
        const [, aop, sz] = op.split(".");
        const size = sz === "u64" ? 8 : 4;
        const v = this.val(i.args[3]!);
        this.mov({ k: "p", op: XW(0) }, v.lo);
        if (size === 8) this.mov({ k: "p", op: XW(1) }, v.hi);
        if (aop === "cmpxchg") {
          const n = this.val(i.args[4]!);
          this.mov({ k: "p", op: XW(0) }, n.lo);
          if (size === 8) this.mov({ k: "p", op: XW(1) }, n.hi);
          this.mov({ k: "p", op: XW(2) }, v.lo);
          if (size === 8) this.mov({ k: "p", op: XW(3) }, v.hi);
        }
        const at = this.address(this.val(y!).lo, this.imm16(z, "an atomic offset"));
        // Data goes out of $w0 (cmpxchg: the new value there, the compare value in $w2) and the
        // old value comes back in $r0 ($r1): same index, as the command has one xfer field.
        const sig = this.nextSig();
        this.emit({ op: "atom", cond: ATOMIC_OPS.indexOf(aop as "add"), size: MEM_SIZES.indexOf(size as 4), xfer: 0, sig, a: at.a, field: at.off & 0xffff, ord: this.ordered(y!, x!) });
        // An answer nobody reads (a counter's add) is not waited for: the atomic is posted like a store.
        if (!this.used.has(id)) return this.set(id, ZERO);
        this.emit({ op: "wait", field: 1 << sig });
        return this.set(id, this.copy({ k: "p", op: XR(0) }), size === 8 ? this.copy({ k: "p", op: XR(1) }) : ZERO);
      }
      case "ptradd": return this.set(id, this.alu("add", this.val(x!).lo, this.val(y!).lo));
      case "frame": return this.set(id, { k: "p", op: FP });
      case "ctx.get": {
        const off = CTX_WORD[(y as { word: string }).word];
        if (off === undefined) fail("codegen", {}, [`unknown xdp_md field ${(y as { word: string }).word}`]);
        return this.set(id, this.read(this.val(x!).lo, off, 4, "ctx").lo);
      }
      case "map.ref": {
        // The one helper that takes a map is bpf_tail_call, whose lkp.tail names it in its map field: no word.
        if (this.onlyTailCallMap(id)) return this.set(id, ZERO);
        return fail("codegen", {}, ["a map as a value (map.ref): the NPU has no helper but bpf_tail_call that takes one"]);
      }
      case "map.lookup": case "map.update": case "map.delete": {
        const m = this.mapIndex(x!);
        const kind = LOOKUP_KINDS.indexOf(op.slice(4) as "lookup");
        const key = this.reg(this.val(y!).lo);
        const value = op === "map.update" ? this.reg(this.val(z!).lo) : undefined;
        const flags = op === "map.update" ? this.imm16(i.args[3], "map.update flags") : 0;
        const xr = this.nextXfer(2), sig = this.nextSig();
        const ord = this.order.unknownWrites || this.order.written.has(m);
        // The entry's lookups whose found path needs no order release it at issue (ordering.ts releasesOnHit).
        const rel = ord && this.isEntry && (this.released ??= releasesOnHit(this.f, this.order)).has(id);
        this.emit({ op: "lkp", cond: kind, sh: m, xfer: xr, sig, a: this.loc(key), ...(value ? { b: this.loc(value) } : {}), field: flags & 0xffff, ord, ...(rel ? { rel } : {}) });
        this.emit({ op: "wait", field: 1 << sig });
        return this.set(id, this.copy({ k: "p", op: XR(xr) }), op === "map.lookup" ? ZERO : this.copy({ k: "p", op: XR(xr + 1) }));
      }
      case "map.array_elem": {
        // The array's values sit back to back in its window: an address, not a lookup (ir/passes/array-lookup.ts).
        const m = this.mapIndex(x!);
        const def = this.opts.module.maps[m]!;
        const idx = this.val(y!).lo;
        const d = this.vreg();
        const done = this.newLabel();
        this.mov(d, ZERO);
        this.flags("sub", idx, C(def.maxEntries));
        this.br("cs", done);
        const vs = def.valueSize;
        const scaled = (vs & (vs - 1)) === 0 ? this.shift("shl", idx, Math.log2(vs)) : this.alu("mul_lo", idx, C(vs));
        this.alu("add", scaled, C(windowAddress(WINDOW.arrayBase + m)), d);
        this.label(done);
        return this.set(id, d);
      }
      case "global.addr": {
        const m = this.mapIndex(x!);
        return this.set(id, C(windowAddress(WINDOW.arrayBase + m, this.imm16(y, "a global data offset"))));
      }
      case "call.helper": {
        const n = this.imm16(x, "a helper number");
        if (n === TAIL_CALL) return this.tailCall(id, i);
        i.args.slice(1).forEach((a, k) => {
          const v = this.val(a);
          this.mov({ k: "p", op: XW(2 * k) }, v.lo);
          this.mov({ k: "p", op: XW(2 * k + 1) }, v.hi);
        });
        const xr = this.nextXfer(2), sig = this.nextSig();
        this.emit({ op: "hlp", xfer: xr, sig, field: n, ord: ORDERED_HELPERS.has(n) });
        this.emit({ op: "wait", field: 1 << sig });
        return this.set(id, this.copy({ k: "p", op: XR(xr) }), this.copy({ k: "p", op: XR(xr + 1) }));
      }
      case "call": {
        const callee = (x as { name: string }).name;
        if (!this.funcs.has(callee)) fail("codegen", {}, [`call to unknown function @${callee}`]);
        // Arguments into the callee's argument area, FP moved by this frame's size, branch and link.
        i.args.slice(1).forEach((a, k) => {
          const v = this.val(a);
          this.mov({ k: "p", op: XW(0) }, v.lo);
          this.mov({ k: "p", op: XW(1) }, v.hi);
          this.emit({ op: "wr", size: 3, xfer: 0, sig: 0, a: { k: "p", op: FP }, field: FRAME.argOffset(k), frameDelta: true });
        });
        this.emit({ op: "add", dst: { k: "p", op: FP }, a: { k: "p", op: FP }, imm: { imm: 0, ihi: false, inv: false }, frameDelta: true });
        this.emit({ op: "bl", dst: { k: "p", op: LINK }, label: `.F${callee}` });
        this.emit({ op: "sub", dst: { k: "p", op: FP }, a: { k: "p", op: FP }, imm: { imm: 0, ihi: false, inv: false }, frameDelta: true });
        const sig = this.nextSig(), xr = this.nextXfer(2);
        this.emit({ op: "rd", size: 3, xfer: xr, sig, a: { k: "p", op: FP }, field: FRAME.retOffset, frameDelta: true });
        this.emit({ op: "wait", field: 1 << sig });
        return this.set(id, this.copy({ k: "p", op: XR(xr) }), this.copy({ k: "p", op: XR(xr + 1) }));
      }
      case "table.apply": return fail("codegen", {}, ["P4 table applies (table.apply) run on the asic target, not the NPU"]);
    }
    fail("codegen", {}, [`no NPU selection for IR opcode ${op}`]);
  }

  private get order(): Ordering { return this.opts.ordering ?? (this.cachedOrder ??= packetOrdering(this.opts.module)); }
  private cachedOrder?: Ordering;
  private released?: Set<number>;
  /** A memory access through ptr in region R goes in packet order when another packet may write what it touches. */
  private ordered(ptr: Arg, region: Arg): boolean {
    return this.order.ordered(this.f.name, ptr, (region as { word: string }).word);
  }

  /** Whether every use of a map reference is as bpf_tail_call's map argument. */
  private onlyTailCallMap(id: number): boolean {
    const isTail = (i: Inst) => i.op === "call.helper" && i.args[0]?.kind === "imm" && i.args[0].value === BigInt(TAIL_CALL);
    return this.f.blocks.every((b) => !usesOfTerm(b.term).includes(id) && b.insts.every((i) => i.args.every((a, k) => a.kind !== "value" || a.id !== id || (isTail(i) && k === 2))));
  }

  /**
   * bpf_tail_call(ctx, prog_array, index): one lookup engine request that, when the entry is
   * there and the packet is under the 33-call limit, sends the thread to the program's slot
   * in the tail-call table (the engine puts ctx back in $r0 for its prologue); otherwise the
   * answer, -ENOENT, lands in the transfer registers and the program goes on. The thread
   * sleeps on the answer (swap): a tail call leaves no signal behind for the next program.
   */
  private tailCall(id: number, i: Inst): void {
    const m = i.args[2]?.kind === "value" ? this.defs.get(i.args[2].id) : undefined;
    if (m?.op !== "map.ref") return fail("codegen", {}, ["bpf_tail_call: its prog_array must be a map reference (lddw map)"]);
    const idx = this.val(i.args[3]!);
    const xr = this.nextXfer(2), sig = this.nextSig();
    this.emit({ op: "lkp", cond: LOOKUP_KINDS.indexOf("tail"), sh: this.mapIndex(m.args[0]!), xfer: xr, sig, swap: true, a: this.loc(this.reg(idx.lo)), b: this.loc(this.reg(idx.hi)), field: this.opts.programs ?? 1 });
    return this.set(id, this.copy({ k: "p", op: XR(xr) }), this.copy({ k: "p", op: XR(xr + 1) }));
  }

  private mapIndex(a: Arg): number {
    const name = (a as { name: string }).name;
    const m = this.opts.module.maps.findIndex((d) => d.name === name);
    if (m < 0 || m >= 128) fail("codegen", {}, [`map @${name}: the lookup engine addresses maps 0..127`]);
    return m;
  }

  private compareOf(i: Inst): string {
    const [x, y, z] = i.args;
    if (i.op === "packet.check") {
      // ptr + len <= end, on 32-bit addresses.
      const end = this.alu("add", this.val(x!).lo, this.val(z!).lo);
      this.flags("sub", end, this.val(y!).lo);
      return "ls";
    }
    return this.compare(i.op, x!, y!);
  }

  // ------------------------------------------------------------ control flow
  /** The moves of an edge into its target's parameters, through temporaries when a source is also a target. */
  private edgeMoves(call: BlockCall): VInst[] {
    const target = this.blocks.get(call.block)!;
    const saved = this.out.length;
    const params = target.params.map((p) => this.vals.get(p.id)!);
    const srcs = call.args.map((a) => this.val(a));
    const paramRegs = new Set(params.flatMap((p) => [p.lo, p.hi]).filter((w) => w.k === "v").map((w) => (w as { v: number }).v));
    const clash = srcs.some((s) => [s.lo, s.hi].some((w) => w.k === "v" && paramRegs.has(w.v)));
    const from = clash ? srcs.map((s) => ({ lo: this.copy(s.lo), hi: this.copy(s.hi) })) : srcs;
    params.forEach((p, n) => {
      this.mov(p.lo, from[n]!.lo);
      if (p.hi.k === "v") this.mov(p.hi, from[n]!.hi);
    });
    return this.out.splice(saved);
  }

  /** The label a branch to `call` goes to: the block's, or a stub with the edge's moves. */
  private edge(call: BlockCall): string {
    const moves = this.edgeMoves(call);
    if (moves.length === 0) return `.B${this.f.name}.${call.block}`;
    const l = this.newLabel();
    this.stubs.push([{ op: "label", label: l }, ...moves, this.stubBranch(`.B${this.f.name}.${call.block}`)]);
    return l;
  }

  /** The jump at the end of an edge stub: the terminator's origin, or its tag. */
  private stubBranch(label: string): VInst {
    const i: VInst = { op: "br", cond: 0, label };
    if (this.origin !== undefined) i.origin = this.origin;
    else if (this.tag) i.note = this.tag;
    return i;
  }

  run(): VFunc {
    const f = this.f;
    // Block parameters get their registers first: edges write them before their blocks are selected.
    for (const b of f.blocks.slice(1)) for (const p of b.params) this.fresh(p.id);
    this.label(`.F${f.name}`);
    const entry = f.blocks[0]!;
    this.tag = this.isEntry ? "prologue: frame pointer, arguments from the dispatcher" : "prologue: save the link, read the arguments";
    if (this.isEntry) {
      // The dispatcher hands a thread r1 in $r0 and r2 in $r2:$r3 (docs/npu-isa.md §Threads).
      this.mov({ k: "p", op: FP }, C(FRAME.entryFp));
      entry.params.forEach((p, n) => {
        const v = this.fresh(p.id);
        if (!this.used.has(p.id)) return;
        this.mov(v.lo, { k: "p", op: XR(2 * n) });
        if (v.hi.k === "v") this.mov(v.hi, { k: "p", op: XR(2 * n + 1) });
      });
    } else {
      // Save the link, then read the arguments the caller left in the argument area.
      this.mov({ k: "p", op: XW(0) }, { k: "p", op: LINK });
      this.emit({ op: "wr", size: 2, xfer: 0, sig: 0, a: { k: "p", op: FP }, field: FRAME.linkOffset & 0xffff });
      entry.params.forEach((p, n) => {
        const r = this.read({ k: "p", op: FP }, FRAME.argOffset(n), 8);
        const v = this.fresh(p.id);
        this.mov(v.lo, r.lo);
        if (v.hi.k === "v") this.mov(v.hi, r.hi);
      });
    }
    f.blocks.forEach((b, n) => {
      this.label(`.B${f.name}.${b.name}`);
      this.tag = "";
      for (const i of b.insts) this.inst(i);
      const next = f.blocks[n + 1]?.name;
      const t = b.term;
      // A terminator's words (its compare, the edge moves, the branches, the return) carry the
      // BPF jump or exit it came from; a fall-through (no jump in the BPF) says what it is.
      this.note = t.op === "ret" || t.op === "br_if" ? printTerm(t) : "";
      this.origin = t.origin;
      this.tag = t.op === "br" ? `edge into ${t.to.block}: moves and jump` : t.op === "ret" ? "epilogue" : t.op === "unreachable" ? "unreachable" : "edge moves";
      switch (t.op) {
        case "br": {
          const l = this.edge(t.to);
          if (l !== `.B${f.name}.${next}`) this.br("al", l);
          break;
        }
        case "br_if": {
          let cond: string;
          if (t.cond.kind === "value" && this.fused.has(t.cond.id)) {
            const d = this.defs.get(t.cond.id)!;
            this.note = printInst(d);
            this.origin = d.origin ?? t.origin;
            cond = this.compareOf(d);
          } else if (t.cond.kind === "imm") {
            cond = t.cond.value !== 0n ? "al" : "nv";
          } else {
            this.flags("sub", this.val(t.cond).lo, ZERO);
            cond = "ne";
          }
          // One edge's moves go inline after the conditional branch, the other's (if any) to a stub.
          const thenMoves = this.edgeMoves(t.then), elseMoves = this.edgeMoves(t.else);
          const block = (c: BlockCall) => `.B${f.name}.${c.block}`;
          const stub = (c: BlockCall, moves: VInst[]) => {
            if (moves.length === 0) return block(c);
            const l = this.newLabel();
            this.stubs.push([{ op: "label", label: l }, ...moves, this.stubBranch(block(c))]);
            return l;
          };
          const [c, far, farMoves, near, nearMoves] = elseMoves.length === 0 && thenMoves.length > 0
            ? [INVERSE[cond]!, t.else, elseMoves, t.then, thenMoves] as const
            : [cond, t.then, thenMoves, t.else, elseMoves] as const;
          if (nearMoves.length === 0 && block(far) === `.B${f.name}.${next}` && farMoves.length === 0) {
            this.br(INVERSE[c]!, block(near));
            break;
          }
          this.br(c, stub(far, [...farMoves]));
          this.out.push(...nearMoves);
          if (block(near) !== `.B${f.name}.${next}`) this.br("al", block(near));
          break;
        }
        case "ret": {
          const v = this.val(t.value);
          if (this.isEntry) {
            this.mov({ k: "p", op: XW(0) }, v.lo);
            this.mov({ k: "p", op: XW(1) }, v.hi);
            this.emit({ op: "done" });
          } else {
            this.mov({ k: "p", op: XW(0) }, v.lo);
            this.mov({ k: "p", op: XW(1) }, v.hi);
            this.emit({ op: "wr", size: 3, xfer: 0, sig: 0, a: { k: "p", op: FP }, field: FRAME.retOffset & 0xffff });
            const sig = this.nextSig();
            this.emit({ op: "rd", size: 2, xfer: 14, sig, a: { k: "p", op: FP }, field: FRAME.linkOffset & 0xffff });
            this.emit({ op: "wait", field: 1 << sig });
            this.emit({ op: "rtn", a: { k: "p", op: XR(14) } });
          }
          break;
        }
        case "unreachable":
          this.emit({ op: "done" });
          break;
      }
    });
    for (const s of this.stubs) this.out.push(...s);
    return { name: f.name, insts: this.out, vregs: this.nv };
  }
}

/**
 * The reciprocal of an unsigned divisor d (not a power of two) for `bits`-bit dividends:
 * the smallest shift p with a rounded-up m = ceil(2^(bits+p) / d) below 2^bits that is exact
 * for every dividend (m*d - 2^(bits+p) <= 2^p), q = mulhi(m, n) >> p; when none exists,
 * Granlund and Montgomery's Figure 4.1 (add: true), m = floor(2^bits (2^l - d) / d) + 1, shift l - 1.
 */
export function unsignedMagic(d: bigint, bits: number): { m: bigint; shift: number; add: boolean } {
  const W = BigInt(bits);
  let l = 0;
  while (1n << BigInt(l) < d) l++;
  for (let p = 0; p <= l; p++) {
    const big = 1n << (W + BigInt(p));
    const m = (big + d - 1n) / d;
    if (m < 1n << W && m * d - big <= 1n << BigInt(p)) return { m, shift: p, add: false };
  }
  return { m: ((1n << W) * ((1n << BigInt(l)) - d)) / d + 1n, shift: l - 1, add: true };
}

/** Hacker's Delight §10-1 (eq. 6): the signed magic number M and shift s of a divisor d >= 3 (not a power of two). */
export function signedMagic(d: bigint, bits: number): { m: bigint; shift: number } {
  const half = 1n << BigInt(bits - 1);
  const anc = half - 1n - (half % d);
  for (let p = bits; ; p++) {
    const two = 1n << BigInt(p);
    if (two > anc * (d - (two % d))) return { m: (two + d - (two % d)) / d, shift: p - bits };
  }
}

export function selectFunction(f: Func, opts: IselOptions, isEntry: boolean): VFunc {
  const funcs = new Map(opts.module.funcs.map((g) => [g.name, { name: g.name, params: g.blocks[0]!.params.length }]));
  return new Selector(f, opts, isEntry, funcs).run();
}
