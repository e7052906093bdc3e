// Tail duplication (docs/fpga-engine.md, "Scheduling"), on a program's blocks in layout
// order after the per-block fusions, before superblocks are formed. A small block that
// ends the program's run (an exit, or a `ja` or fall-through to another such block) and is reached by a
// jump costs that jump's bundle and ends the superblock that jumps; a copy of it in place
// of the jump is scheduled with its predecessor instead:
//   - `ja T`, T a tail: the jump goes and T's operations take its place;
//   - a block falling through (plainly or past a conditional jump) into a tail T that
//     jumps also reach: T's operations are appended, so the superblock runs on to the exit
//     (the original T stays for the jumps);
//   - a block no jump and no fall-through reaches any more is dropped (the ROM it took).
// A copy keeps its operations' origins (a fault names the original instruction; the
// listing shows where each slot comes from), and jumps inside it re-target by origin as
// the originals do. A removed `ja` retired one instruction on the reference interpreter:
// a `mov64 R, R` (a true no-op, any lane) takes its place in the copy, with the jump's
// origin, so the retired count stays the interpreter's on that path.
import { formOf, type Insn } from "../../../ir/bpf/insn.js";
import { extForm } from "./ext.js";
import { opInfo, opTarget, type Op } from "./ops.js";

/**
 * Most operations (after fusion) a copied tail may have. The examples' shared tails are
 * `mov r0, rX; exit` (2), counter's update as clang emits it (4: a constant, two atomic
 * adds, exit-with-verdict) and as bpfoff's own code generation emits it (5: r0 reused for
 * both addends). 5 takes them all; 6 copies nothing more in the examples (measured with
 * bench/fpga/examples.mjs and sched-passes.mjs: docs/PERFORMANCE.md). A tail is at most
 * that many bundles of lane-0 work, about what the taken jump and the superblock boundary
 * cost, and each copy adds at most that many bundles to the ROM.
 */
export const TAIL_OPS = 5;

const isJa = (op: Op): boolean => {
  const shape = formOf(op.insn)?.shape;
  return !extForm(op.insn) && (shape === "ja" || shape === "ja32");
};
const isExit = (op: Op): boolean => opInfo(op).terminator === "commit";
/** Control may go on to the next block in layout order after this operation. */
const fallsThrough = (op: Op): boolean => !isJa(op) && !isExit(op);
/** A conditional jump (a fused one too): its block may join the next into a superblock. */
export const isConditionalJump = (op: Op): boolean => opInfo(op).terminator === "branch" && opTarget(op) !== undefined && !isJa(op);
/** No terminator, or a conditional jump: the block it ends may take a tail in (calls and lone operations keep their fall-through). */
const mayAppend = (op: Op): boolean => opInfo(op).terminator === undefined || isConditionalJump(op);

/**
 * mov64 R, R: no effect, one retired instruction, any lane; where the jump was (its
 * origin's place in program order). R is one the copy names nowhere, so no later slot
 * waits for it, and preferably one the block before does not write either.
 */
function filler(ja: Op, head: readonly Op[], copy: readonly Op[]): Op {
  const regs = (ops: readonly Op[], f: (i: ReturnType<typeof opInfo>) => readonly number[]): number => ops.reduce((m, op) => f(opInfo(op)).reduce((x, r) => x | (1 << r), m), 0);
  const named = regs(copy, (i) => [...i.reads, ...i.writes]);
  const written = regs(head, (i) => i.writes);
  // r1-r5: a slot beside an exit may not write r6-r10 (a subprogram's exit restores them)
  const free = [1, 2, 3, 4, 5].filter((r) => (named & (1 << r)) === 0);
  const reg = free.find((r) => (written & (1 << r)) === 0) ?? free[0] ?? 1;
  const insn: Insn = { opcode: 0xbf, dst: reg, src: reg, off: 0, imm: 0 };
  return { insn, origin: [...ja.origin] };
}

interface Tail {
  /** The operations to copy, a chain's `ja`s left out. */
  readonly ops: readonly Op[];
  /** The `ja`s of the chain (each needs a filler). */
  readonly jumps: readonly Op[];
}

export interface TailDupResult {
  readonly blocks: Op[][];
  /** Each block's first slot in the original program. */
  readonly starts: number[];
  /** Copies made. */
  readonly copied: number;
}

/** Blocks in layout order (`starts`: each one's first slot in the original program). */
export function duplicateTails(input: readonly (readonly Op[])[], starts: readonly number[], maxOps = TAIL_OPS): TailDupResult {
  const indexOf = new Map(starts.map((s, k) => [s, k]));
  /** Block k as a tail: it ends in an exit, or in a `ja` to a tail; at most maxOps operations in all. */
  const tailOf = (k: number, seen: ReadonlySet<number>): Tail | undefined => {
    if (seen.has(k)) return undefined;
    const b = input[k]!;
    const last = b[b.length - 1]!;
    if (b.slice(0, -1).some((op) => opInfo(op).terminator)) return undefined;
    if (isExit(last)) return b.length <= maxOps ? { ops: b, jumps: [] } : undefined;
    // a `ja` to a tail, or a fall-through into one (counter's update falls into the exit)
    const jumps = isJa(last);
    if (!jumps && opInfo(last).terminator) return undefined;
    const next = jumps ? indexOf.get(opTarget(last) ?? -1) : k + 1 < input.length ? k + 1 : undefined;
    const rest = next === undefined ? undefined : tailOf(next, new Set([...seen, k]));
    const own = jumps ? b.slice(0, -1) : b;
    if (!rest || own.length + rest.ops.length > maxOps) return undefined;
    return { ops: [...own, ...rest.ops], jumps: jumps ? [last, ...rest.jumps] : rest.jumps };
  };
  /** The tail's copy after `head`, a filler for every jump removed (before the exit: nothing reads it there). */
  const withTail = (head: readonly Op[], tail: Tail, jumps: readonly Op[]): Op[] => {
    // fresh origin arrays: a slot's origin identifies its operation (schedule.ts `order`)
    const copy = tail.ops.map((op) => ({ ...op, origin: [...op.origin] }));
    return [...head, ...jumps.map((j) => filler(j, head, copy)), ...copy];
  };
  let copied = 0;
  // 1. `ja T` into a tail: the copy in place of the jump.
  const blocks: Op[][] = input.map((b, k) => {
    const last = b[b.length - 1]!;
    if (!isJa(last)) return [...b];
    const t = indexOf.get(opTarget(last) ?? -1);
    const tail = t === undefined ? undefined : tailOf(t, new Set([k]));
    if (!tail) return [...b];
    copied++;
    return withTail(b.slice(0, -1), tail, [last, ...tail.jumps]);
  });
  // 2. A fall-through into a tail that jumps still reach (else it simply joins the superblock).
  const targets = new Set(blocks.flatMap((b) => b.map(opTarget).filter((t): t is number => t !== undefined)));
  for (let k = 0; k + 1 < blocks.length; k++) {
    const b = blocks[k]!;
    if (!mayAppend(b[b.length - 1]!) || !targets.has(starts[k + 1]!)) continue;
    const tail = tailOf(k + 1, new Set([k]));
    if (!tail) continue;
    blocks[k] = withTail(b, tail, tail.jumps);
    copied++;
  }
  // 3. Blocks nothing reaches any more (entry: block 0; local calls' targets are jump
  // targets too). A callx goes where a register says, an unknown slot anywhere: then
  // every block stays.
  const opaque = blocks.some((b) => b.some((op) => !extForm(op.insn) && (formOf(op.insn)?.shape ?? "callx") === "callx"));
  if (opaque) return { blocks, starts: [...starts], copied };
  const reached = new Set<number>();
  const work = [0];
  while (work.length > 0) {
    const k = work.pop()!;
    if (reached.has(k)) continue;
    reached.add(k);
    const b = blocks[k]!;
    for (const op of b) {
      const t = indexOf.get(opTarget(op) ?? -1);
      if (t !== undefined) work.push(t);
    }
    if (fallsThrough(b[b.length - 1]!) && k + 1 < blocks.length) work.push(k + 1);
  }
  return { blocks: blocks.filter((_, k) => reached.has(k)), starts: starts.filter((_, k) => reached.has(k)), copied };
}
