// Register renaming inside a superblock (docs/fpga-engine.md, "Scheduling"), before the
// DAG. clang reuses registers (`ldxh %r3` for one field, `ldxw %r3` for the next; `lddw
// %r1, map` after the last use of r1 as the packet pointer), and each reuse is a WAW or
// WAR edge that serialises independent work. A value whose every use is inside the
// superblock gets a register that is free over its range, and its uses read that one.
//
// A *web* here: a definition of r that does not read r, then the operations reading that
// value up to its last use (a read-modify-write of r carries the value on: `add %r3, 1`
// reads and writes the web). It is renamed to R when
//   - the value dies inside the superblock: r is dead after the last use (liveness: at
//     the fall-through, every later side exit's target and past the superblock) and at
//     the target of every side exit between the definition and the last use;
//   - every operation of the web names r in an explicit field (calls read r1-r5 and
//     write r0, exits read r0, cmpxchg reads and writes r0: those stay as they are, and
//     so do the definitions feeding them);
//   - R (not r10) is named by no operation from the definition to the last use and is
//     dead there (the value it held then is one nobody reads);
//   - it pays: the superblock's WAW/WAR pairs (what `dag` turns into edges) go down, R
//     chosen to make them fewest (then dead at every side exit's target: the definition
//     may then be hoisted above them; then the lowest); or they stay as many and r was
//     live at a side exit before the definition (which kept it below the jump) and R is not.
// Origins stay: a fault still names the original instruction, and an operation's weight
// (the retired count) does not change. Pure; the first web first, R the lowest free.
import { formOf, type Insn } from "../../../ir/bpf/insn.js";
import { alu3Fields, extForm } from "./ext.js";
import { ALL_REGS } from "./liveness.js";
import { opInfo, type Op } from "./ops.js";

export interface RenameContext {
  /** Registers live where a side exit (a conditional jump inside the superblock) goes. */
  readonly liveAtTarget: (op: Op) => number;
  /** Registers live after the superblock's last operation, on every way out of it. */
  readonly liveOut: number;
}

const bit = (r: number): number => 1 << r;
const mask = (regs: readonly number[]): number => regs.reduce((m, r) => m | bit(r), 0);

/** Registers a web may move to, in the order tried: argument and scratch registers first (an exit's bundle may not write r6-r9). */
const CANDIDATES = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9];

/**
 * The operation with every explicit register operand r replaced by R, or undefined when
 * r is also an implicit operand (calls, exits, cmpxchg's r0) or the form is not known.
 */
export function substituteRegister(op: Op, r: number, R: number): Op | undefined {
  const s = op.insn;
  const sub = (x: number): number => (x === r ? R : x);
  const ext = extForm(s);
  let insn: Insn | undefined;
  if (ext) {
    switch (ext.kind) {
      case "alu3": {
        const a = alu3Fields(s);
        insn = { ...s, dst: sub(a.rd), src: sub(a.rs), off: a.rt === undefined ? s.off : (s.off & ~0xf0) | (sub(a.rt) << 4) };
        break;
      }
      case "ctx_read":
        insn = { ...s, dst: sub(s.dst) };
        break;
      case "ldx_wide":
      case "stx_wide":
      case "jcc_add":
        insn = { ...s, dst: sub(s.dst), src: sub(s.src) };
        break;
      case "exit_imm":
        return undefined;
    }
  } else {
    switch (formOf(s)?.shape) {
      case "alu_imm":
      case "unary":
      case "end":
      case "st":
      case "jmp_imm":
      case "lddw":
        insn = { ...s, dst: sub(s.dst) };
        break;
      case "alu_reg":
      case "movsx":
      case "ldx":
      case "stx":
      case "jmp_reg":
        insn = { ...s, dst: sub(s.dst), src: sub(s.src) };
        break;
      case "atomic":
        // cmpxchg compares with and writes r0 implicitly
        if (r === 0 && (s.imm & 0xff) === 0xf1) return undefined;
        insn = { ...s, dst: sub(s.dst), src: sub(s.src) };
        break;
      case "ja":
      case "ja32":
        insn = s;
        break;
      default:
        return undefined;
    }
  }
  const out: Op = { ...op, insn: insn! };
  // The rewrite must read and write exactly what the original did, r for R.
  const a = opInfo(op);
  const b = opInfo(out);
  const same = (x: readonly number[], y: readonly number[]) => mask(x.map(sub)) === mask(y) && x.length === y.length;
  if (!same(a.reads, b.reads) || !same(a.writes, b.writes)) throw new Error(`bug: renaming r${r} to r${R} changed what slot ${op.origin[0]} reads or writes`);
  return out;
}

/** Registers live after each operation: the fall-through, and a side exit's target. */
function liveAfter(ops: readonly Op[], cx: RenameContext): number[] {
  const out = new Array<number>(ops.length).fill(0);
  let live = cx.liveOut;
  for (let p = ops.length - 1; p >= 0; p--) {
    const info = opInfo(ops[p]!);
    const after = live | (info.terminator === "branch" && p < ops.length - 1 ? cx.liveAtTarget(ops[p]!) : 0);
    out[p] = after;
    live = info.terminator === "alone" ? ALL_REGS : (after & ~mask(info.writes)) | mask(info.reads);
  }
  return out;
}

const isSideExit = (ops: readonly Op[], p: number): boolean => opInfo(ops[p]!).terminator === "branch" && p < ops.length - 1;

/** The positions of the web defined at d (d first), or undefined when it cannot be renamed. */
function webAt(ops: readonly Op[], d: number, after: readonly number[], cx: RenameContext): { r: number; web: number[] } | undefined {
  const def = opInfo(ops[d]!);
  if (def.terminator || def.writes.length !== 1) return undefined;
  const r = def.writes[0]!;
  if (def.reads.includes(r) || r === 10 || !substituteRegister(ops[d]!, r, r === 1 ? 2 : 1)) return undefined;
  const web = [d];
  for (let p = d + 1; p < ops.length; p++) {
    const info = opInfo(ops[p]!);
    if (info.terminator === "alone") return undefined;
    if (info.reads.includes(r)) {
      if (!substituteRegister(ops[p]!, r, r === 1 ? 2 : 1)) return undefined;
      web.push(p);
    } else if (info.writes.includes(r)) break;
    if (isSideExit(ops, p) && (cx.liveAtTarget(ops[p]!) & bit(r)) !== 0) return undefined;
  }
  const last = web[web.length - 1]!;
  if (web.length < 2 || (after[last]! & bit(r)) !== 0) return undefined;
  return { r, web };
}

/** Registers the operations name. */
function named(ops: readonly Op[]): number {
  return ops.reduce((m, op) => {
    const info = opInfo(op);
    return m | mask(info.reads) | mask(info.writes);
  }, 0);
}

export interface RenameResult {
  readonly ops: Op[];
  /** Webs renamed. */
  readonly webs: number;
}

export function renameRegisters(input: readonly Op[], cx: RenameContext): RenameResult {
  const ops = [...input];
  let after = liveAfter(ops, cx);
  let webs = 0;
  // Registers live where the side exits before each position go (renaming keeps every
  // operation's place and target, so this is computed once): exitsBefore[p], p = 0..n.
  const exitsBefore = [0];
  ops.forEach((_, p) => exitsBefore.push(exitsBefore[p]! | (isSideExit(ops, p) ? cx.liveAtTarget(ops[p]!) : 0)));
  const exitsAll = exitsBefore[ops.length]!;
  let deps = nameDependences(ops);
  for (let d = 0; d < ops.length; d++) {
    const w = webAt(ops, d, after, cx);
    if (!w) continue;
    const { r, web } = w;
    const last = web[web.length - 1]!;
    // R: named nowhere from the definition to the last use, and dead there (its value then is nobody's)
    let blocked = named(ops.slice(d, last + 1)) | bit(10);
    for (let p = d; p <= last; p++) blocked |= after[p]!;
    let best: { R: number; ops: Op[]; deps: number; hoists: boolean } | undefined;
    for (const R of CANDIDATES) {
      if ((blocked & bit(R)) !== 0) continue;
      const next = [...ops];
      for (const p of web) next[p] = substituteRegister(ops[p]!, r, R)!;
      // a register dead at every side exit lets the definition move above them
      const cand = { R, ops: next, deps: nameDependences(next), hoists: (exitsAll & bit(R)) === 0 };
      if (!best || cand.deps < best.deps || (cand.deps === best.deps && cand.hoists && !best.hoists)) best = cand;
    }
    // it pays: fewer WAW/WAR pairs, or as many and the definition freed from a side exit that kept it below
    const freed = best !== undefined && (exitsBefore[d]! & bit(r)) !== 0 && (exitsBefore[d]! & bit(best.R)) === 0;
    if (!best || !(best.deps < deps || (best.deps === deps && freed))) continue;
    ops.splice(0, ops.length, ...best.ops);
    deps = best.deps;
    after = liveAfter(ops, cx);
    webs++;
  }
  return { ops, webs };
}

/**
 * WAW and WAR pairs the DAG would see in a superblock (schedule.ts `dag`: a write after
 * the register's last writer, and after each reader since): the figure renaming lowers.
 */
export function nameDependences(ops: readonly Op[]): number {
  const lastWriter = new Map<number, number>();
  const readersSince = new Map<number, number>();
  let edges = 0;
  ops.forEach((op, j) => {
    const info = opInfo(op);
    for (const r of info.writes) {
      if (lastWriter.has(r)) edges++;
      edges += readersSince.get(r) ?? 0;
    }
    for (const r of info.reads) if (!info.writes.includes(r)) readersSince.set(r, (readersSince.get(r) ?? 0) + 1);
    for (const r of info.writes) {
      lastWriter.set(r, j);
      readersSince.set(r, 0);
    }
  });
  return edges;
}
