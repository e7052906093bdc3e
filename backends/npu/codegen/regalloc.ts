// Bank-aware linear-scan register allocation: virtual words onto A0-A12 and B0-B12 of the
// thread, spills to local memory above the frame pointer. Each virtual register prefers
// the bank its uses want (an ALU word reads a from the A bank and b from the B bank);
// where the choice still breaks the bank rule, the rewrite swaps a commutative word's
// operands or moves one operand through a scratch register of the other bank.
//
// Needs: VCode from isel.ts (labels, branch targets inside the function). Keeps: the
// program's meaning; every word it returns has physical operands only and obeys the bank
// rule (isa.ts wordProblems). Values live across a call (bl) are spilled: the callee
// may use every allocatable register.
import { A, B, MEM_SIZES, OP_BY_NAME, XR, XW, canBeA, canBeB, type Operand } from "../isa.js";
import { fail } from "../../../ir/diag/diag.js";
import { FP } from "./isel.js";
import { defsOf, formatOf, usesOf, type Loc, type VFunc, type VInst } from "./vcode.js";

/** Allocatable registers: A13 is the frame pointer, B13 the link; 14 and 15 of each bank are the rewrite's scratch. */
const ALLOCATABLE = 13;
const SCRATCH = { a: A(15), b: B(15), dst: A(14) } as const;
/** Spill traffic: reloads into $r15 (a side), $r14 (b side), $r13 (immw1's own destination), stores from $w13; sig7 only. */
const SPILL = { loadA: 15, loadB: 14, loadDst: 13, store: 13, sig: 7 } as const;

export interface Allocated {
  readonly insts: VInst[];
  /** Bytes of spill slots above FP. */
  readonly spillBytes: number;
  readonly spilled: number;
}

interface Interval { v: number; start: number; end: number; reg?: Operand; slot?: number; prefA: number }

function blocksOf(insts: readonly VInst[]): { start: number; end: number; succ: number[] }[] {
  const starts = new Set<number>([0]);
  insts.forEach((i, n) => {
    if (i.op === "label") starts.add(n);
    if (["br", "rtn", "done"].includes(i.op) && n + 1 < insts.length) starts.add(n + 1);
  });
  const sorted = [...starts].sort((a, b) => a - b);
  const labelAt = new Map<string, number>();
  insts.forEach((i, n) => { if (i.op === "label") labelAt.set(i.label!, n); });
  const blockOf = new Map(sorted.map((s, k) => [s, k]));
  return sorted.map((start, k) => {
    const end = (sorted[k + 1] ?? insts.length) - 1;
    const last = insts[end];
    const succ: number[] = [];
    const fall = () => { if (k + 1 < sorted.length) succ.push(k + 1); };
    const to = (l: string) => {
      const at = labelAt.get(l);
      if (at === undefined) return; // a call target in another function
      succ.push(blockOf.get(at)!);
    };
    if (!last) fall();
    else if (last.op === "br") {
      if (last.cond === 0) to(last.label!);
      else if (last.cond === 15) fall();
      else { to(last.label!); fall(); }
    } else if (last.op !== "rtn" && last.op !== "done") fall();
    return { start, end, succ };
  });
}

const vOf = (l: Loc | undefined): number | undefined => (l?.k === "v" ? l.v : undefined);

export function allocate(f: VFunc): Allocated {
  const insts = f.insts;
  const blocks = blocksOf(insts);
  // Liveness (backward dataflow) on virtual registers.
  const liveIn = blocks.map(() => new Set<number>());
  const liveOut = blocks.map(() => new Set<number>());
  const use = blocks.map(() => new Set<number>());
  const def = blocks.map(() => new Set<number>());
  blocks.forEach((b, k) => {
    for (let n = b.start; n <= b.end; n++) {
      for (const u of usesOf(insts[n]!)) { const v = vOf(u); if (v !== undefined && !def[k]!.has(v)) use[k]!.add(v); }
      for (const d of defsOf(insts[n]!)) { const v = vOf(d); if (v !== undefined) def[k]!.add(v); }
    }
  });
  for (let changed = true; changed;) {
    changed = false;
    for (let k = blocks.length - 1; k >= 0; k--) {
      const out = liveOut[k]!;
      for (const s of blocks[k]!.succ) for (const v of liveIn[s]!) if (!out.has(v)) { out.add(v); changed = true; }
      const inn = liveIn[k]!;
      for (const v of use[k]!) if (!inn.has(v)) { inn.add(v); changed = true; }
      for (const v of out) if (!def[k]!.has(v) && !inn.has(v)) { inn.add(v); changed = true; }
    }
  }
  // Intervals: the hull of every position a register is live at.
  const iv = new Map<number, Interval>();
  const touch = (v: number, n: number) => {
    const i = iv.get(v);
    if (!i) iv.set(v, { v, start: n, end: n, prefA: 0 });
    else { i.start = Math.min(i.start, n); i.end = Math.max(i.end, n); }
  };
  blocks.forEach((b, k) => {
    for (const v of liveIn[k]!) touch(v, b.start);
    for (const v of liveOut[k]!) touch(v, b.end);
  });
  insts.forEach((i, n) => {
    for (const l of [...usesOf(i), ...defsOf(i)]) { const v = vOf(l); if (v !== undefined) touch(v, n); }
    const fmt = formatOf(i.op);
    const a = vOf(i.a), b = vOf(i.b);
    if (a !== undefined && fmt !== "mov") iv.get(a)!.prefA++;
    if (b !== undefined && fmt !== "mov" && !i.imm) iv.get(b)!.prefA--;
  });
  const calls = insts.flatMap((i, n) => (i.op === "bl" ? [n] : []));
  const order = [...iv.values()].sort((x, y) => x.start - y.start || x.v - y.v);
  const free = { A: Array.from({ length: ALLOCATABLE }, (_, n) => n), B: Array.from({ length: ALLOCATABLE }, (_, n) => n) };
  const active: Interval[] = [];
  let slots = 0;
  const spill = (i: Interval) => { i.reg = undefined; i.slot = slots++; };
  for (const cur of order) {
    for (let k = active.length - 1; k >= 0; k--) {
      const x = active[k]!;
      if (x.end < cur.start) {
        active.splice(k, 1);
        free[x.reg!.kind as "A" | "B"].push((x.reg as { n: number }).n);
        free[x.reg!.kind as "A" | "B"].sort((p, q) => p - q);
      }
    }
    if (calls.some((c) => cur.start < c && c < cur.end)) { spill(cur); continue; }
    const banks: ("A" | "B")[] = cur.prefA >= 0 ? ["A", "B"] : ["B", "A"];
    const bank = banks.find((b) => free[b].length > 0);
    if (bank) {
      const n = free[bank].shift()!;
      cur.reg = bank === "A" ? A(n) : B(n);
      active.push(cur);
      continue;
    }
    // No register: spill whichever of the active intervals and this one ends last.
    const victim = active.reduce((m, x) => (x.end > m.end ? x : m), cur);
    if (victim === cur) spill(cur);
    else {
      cur.reg = victim.reg;
      spill(victim);
      active.splice(active.indexOf(victim), 1);
      active.push(cur);
    }
  }
  return { insts: rewrite(insts, iv), spillBytes: slots * 4, spilled: slots };
}

const P = (op: Operand): Loc => ({ k: "p", op });
const COMMUTES: Readonly<Record<string, string>> = { add: "add", and: "and", or: "or", xor: "xor", mul_lo: "mul_lo", mul_hi: "mul_hi", sub: "rsub", rsub: "sub", subc: "rsubc", rsubc: "subc" };

function rewrite(insts: readonly VInst[], iv: ReadonlyMap<number, Interval>): VInst[] {
  const all: VInst[] = [];
  // Reloads, scratch moves and spills point back at the BPF instruction of the word they serve.
  let origin: number | undefined;
  const out = { push: (x: VInst) => all.push(origin !== undefined && x.origin === undefined ? { ...x, origin } : x) };
  type PhysLoc = { k: "p"; op: Operand };
  const phys = (l: Loc): PhysLoc | { slot: number } => {
    if (l.k === "p") return { k: "p", op: l.op };
    const i = iv.get(l.v);
    if (!i) return fail("codegen", {}, [`bug: virtual register v${l.v} has no interval`]);
    return i.reg ? { k: "p", op: i.reg } : { slot: i.slot! };
  };
  const reload = (slot: number, x: number, note?: string): Loc => {
    out.push({ op: "rd", size: MEM_SIZES.indexOf(4), xfer: x, sig: SPILL.sig, swap: true, a: P(FP), field: slot * 4, note: note ?? "reload" });
    return P(XR(x));
  };
  for (const src of insts) {
    origin = src.origin;
    const i: VInst = { ...src };
    if (i.op === "label") { out.push(i); continue; }
    const fmt = formatOf(i.op);
    const usesA = ["alu", "sh", "dsh", "un", "rtn", "mem", "atom", "lkp"].includes(fmt) || i.op === "mova";
    const usesB = (fmt === "alu" && !i.imm) || fmt === "dsh" || (i.op === "movb" && !i.imm) || (fmt === "lkp" && (i.cond === 1 || i.cond === 4));
    let a = usesA && i.a ? phys(i.a) : undefined;
    let b = usesB && i.b ? phys(i.b) : undefined;
    // Moves pick their side by where the source sits; commutative words swap a wrong pair.
    if (fmt === "mov" && (i.a || i.b)) {
      const s = (i.op === "mova" ? a : b)!;
      if ("slot" in s) { i.op = "mova"; reload(s.slot, SPILL.loadA); i.b = undefined; a = { k: "p", op: XR(SPILL.loadA) }; b = undefined; }
      else if (s.op.kind === "B") { i.op = "movb"; i.b = s; i.a = undefined; b = s; a = undefined; }
      else { i.op = "mova"; i.a = s; i.b = undefined; a = s; b = undefined; }
    } else if (a && b && !("slot" in a) && !("slot" in b) && COMMUTES[i.op] && !canBeA(a.op) && !canBeB(b.op) && fmt === "alu") {
      i.op = COMMUTES[i.op]!;
      [a, b] = [b, a];
    }
    if (a) {
      if ("slot" in a) i.a = reload(a.slot, SPILL.loadA);
      else if (!canBeA(a.op)) { out.push({ op: "movb", dst: P(SCRATCH.a), b: a, note: "bank move" }); i.a = P(SCRATCH.a); }
      else i.a = a;
    }
    if (b) {
      if ("slot" in b) i.b = reload(b.slot, SPILL.loadB);
      else if (!canBeB(b.op)) { out.push({ op: "mova", dst: P(SCRATCH.b), a: b, note: "bank move" }); i.b = P(SCRATCH.b); }
      else i.b = b;
    }
    let store: number | undefined;
    if (i.dst) {
      const d = phys(i.dst);
      if ("slot" in d) {
        if (fmt === "imm") out.push({ op: "mova", dst: P(SCRATCH.dst), a: reload(d.slot, SPILL.loadDst), note: "reload" });
        i.dst = P(SCRATCH.dst);
        store = d.slot;
      } else i.dst = d;
    }
    // A move onto itself is no word at all.
    if (fmt === "mov" && i.dst?.k === "p" && ((i.op === "mova" && same(i.a, i.dst)) || (i.op === "movb" && !i.imm && same(i.b, i.dst)))) continue;
    out.push(i);
    if (store !== undefined) {
      out.push({ op: "mova", dst: P(XW(SPILL.store)), a: P(SCRATCH.dst), note: "spill" });
      out.push({ op: "wr", size: MEM_SIZES.indexOf(4), xfer: SPILL.store, sig: 0, a: P(FP), field: store * 4, note: "spill" });
    }
  }
  return all;
}

function same(x: Loc | undefined, y: Loc): boolean {
  if (x?.k !== "p" || y.k !== "p") return false;
  const a = x.op as { kind: string; n?: number }, b = y.op as { kind: string; n?: number };
  return a.kind === b.kind && a.n === b.n;
}

void OP_BY_NAME;
