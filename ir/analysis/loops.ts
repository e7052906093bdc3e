// Natural loops and, where the IR makes it evident, their trip counts: a header parameter
// that starts at a constant, steps by a constant on the back edge, and is compared with a
// constant by the header's branch that leaves the loop. Targets without back edges need
// the count (to unroll, or to refuse with it); `bpfoff ir --loops` prints it.
import { successors, type Arg, type Func, type Inst } from "../core/ir.js";
import { foldOp } from "../passes/const-fold.js";
import { dominates, dominators, predecessors } from "../passes/util.js";

export interface Loop {
  readonly header: string;
  readonly latches: readonly string[];
  readonly blocks: ReadonlySet<string>;
  /** Iterations of the body, when the analysis can tell; undefined otherwise. */
  readonly tripCount?: number;
}

export const TRIP_LIMIT = 1 << 16;

export function findLoops(f: Func): Loop[] {
  const idom = dominators(f);
  const preds = predecessors(f);
  const latchesOf = new Map<string, string[]>();
  for (const b of f.blocks) {
    for (const s of successors(b.term)) {
      if (idom.has(b.name) && dominates(idom, s.block, b.name)) latchesOf.set(s.block, [...(latchesOf.get(s.block) ?? []), b.name]);
    }
  }
  return [...latchesOf].map(([header, latches]) => {
    const blocks = new Set([header]);
    const work = [...latches];
    while (work.length) {
      const n = work.pop()!;
      if (blocks.has(n)) continue;
      blocks.add(n);
      work.push(...preds.get(n)!);
    }
    return { header, latches, blocks, tripCount: tripCount(f, header, latches, blocks) };
  });
}

/**
 * Counts iterations by running the induction variable: a header parameter with a constant
 * initial value, stepped by a constant add/sub, tested against a constant either by the
 * header's branch before the body (while) or by the latch's branch after the step (do-while).
 */
function tripCount(f: Func, header: string, latches: string[], blocks: Set<string>): number | undefined {
  if (latches.length !== 1) return undefined;
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined) defs.set(i.result, i);
  const h = f.blocks.find((b) => b.name === header)!;
  const latch = f.blocks.find((b) => b.name === latches[0])!;
  const enter = f.blocks.flatMap((b) => (blocks.has(b.name) ? [] : successors(b.term).filter((c) => c.block === header)));
  if (enter.length !== 1) return undefined;
  /** The exit test of a block: its condition and whether staying in the loop means true. */
  const exitTest = (b: typeof h): { cond: Inst; staysOnTrue: boolean } | undefined => {
    const t = b.term;
    if (t.op !== "br_if" || t.cond.kind !== "value") return undefined;
    const id = t.cond.id;
    const cond = b.insts.find((i) => i.result === id);
    if (!cond || !/^icmp(32)?\./.test(cond.op)) return undefined;
    const inThen = blocks.has(t.then.block);
    const inElse = blocks.has(t.else.block);
    return inThen !== inElse ? { cond, staysOnTrue: inThen } : undefined;
  };
  /** For value v: the header parameter it is (or steps from), and the step instruction. */
  const induction = (v: Arg): { k: number; step?: Inst } | undefined => {
    if (v.kind !== "value") return undefined;
    const k = h.params.findIndex((p) => p.id === v.id);
    if (k >= 0) return { k };
    const d = defs.get(v.id);
    const [a, c] = d?.args ?? [];
    if (d && ["add", "sub", "add32", "sub32"].includes(d.op) && a?.kind === "value" && c?.kind === "imm") {
      const j = h.params.findIndex((p) => p.id === a.id);
      if (j >= 0) return { k: j, step: d };
    }
    return undefined;
  };
  const backCall = successors(latch.term).find((c) => c.block === header)!;
  // A one-block loop tests after its body, like a do-while.
  const bottom = h === latch || exitTest(h) === undefined;
  const test = bottom ? exitTest(latch) : exitTest(h);
  if (!test) return undefined;
  const [x, y] = test.cond.args as [Arg, Arg];
  const swapped = x.kind === "imm";
  const tested = induction(swapped ? y : x);
  const bound = swapped ? x : y;
  if (!tested || bound.kind !== "imm") return undefined;
  const init = enter[0]!.args[tested.k];
  const next = induction(backCall.args[tested.k]!);
  if (init?.kind !== "imm" || !next?.step || next.k !== tested.k) return undefined;
  const stepBy = (i: bigint) => foldOp(next.step!.op, [i, (next.step!.args[1] as { value: bigint }).value])!;
  const testedValue = (i: bigint) => (tested.step ? foldOp(tested.step.op, [i, (tested.step.args[1] as { value: bigint }).value])! : i);
  const stays = (i: bigint) => (foldOp(test.cond.op, swapped ? [bound.value, testedValue(i)] : [testedValue(i), bound.value]) === 1n) === test.staysOnTrue;
  let i = init.value;
  for (let n = 0; n <= TRIP_LIMIT; n++) {
    if (bottom) {
      // do-while: the body runs, then the latch tests (on the parameter or its stepped value).
      if (!stays(i)) return n + 1;
      i = stepBy(i);
    } else {
      if (!stays(i)) return n;
      i = stepBy(i);
    }
  }
  return undefined;
}
