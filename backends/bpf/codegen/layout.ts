// Block layout for IR → BPF: the order emit.ts writes a function's blocks in. A greedy
// trace (as Cranelift's and LLVM's block placement start from): each block is followed by
// its preferred successor while that one is still unplaced, so that the edge taken most
// becomes a fall-through instead of a conditional jump plus a `ja`.
//
// Invariants kept: the entry stays first (the prologue and the program's first
// instruction are its); every block is placed exactly once; only the order changes, so the
// meaning does not (emit.ts and the register allocator take any order). A block is placed
// only after all its predecessors but those over a loop's back edge (a topological order of
// the CFG without back edges), so a jump goes backwards only where the program loops: the
// object is lifted again for targets without back edges (asic, the unrolled pipelines),
// which read a backward jump as a loop. Blocks that only
// return go last: emit.ts returns in place on every edge into them that does not fall
// through, so they are emitted only where a block falls into them (and skipped otherwise).
import { successors, type Block, type Func } from "../../../ir/core/ir.js";

/** A block that only returns an immediate or one of its parameters (`bbN(%p): ret %p`). */
export function onlyReturns(b: Block): boolean {
  const t = b.term;
  if (b.insts.length !== 0 || t.op !== "ret") return false;
  const v = t.value;
  return v.kind === "imm" || (v.kind === "value" && b.params.some((p) => p.id === v.id));
}

/** The blocks of `f` in emission order (a new Func; `f` is not changed). */
export function layoutBlocks(f: Func): Func {
  const blocks = f.blocks;
  if (blocks.length <= 2) return f;
  const byName = new Map(blocks.map((b) => [b.name, b]));
  const index = new Map(blocks.map((b, k) => [b.name, k]));
  const entry = blocks[0]!;
  const forwardPreds = forwardPredecessors(f);
  const placed = new Set<string>();
  const order: Block[] = [];
  const place = (b: Block) => (placed.add(b.name), order.push(b));
  // Blocks that only return are reached by returning in place: no trace runs through them.
  const traced = (b: Block) => !placed.has(b.name) && !onlyReturns(b);
  // Ready: every predecessor other than over a back edge is placed (if-then: the then-block
  // before the join that waits for it).
  const ready = (b: Block) => [...(forwardPreds.get(b.name) ?? [])].every((p) => placed.has(p));

  place(entry);
  for (let cur: Block | undefined = entry; cur; ) {
    const preferred: Block[] = preferredSuccessors(cur, blocks[index.get(cur.name)! + 1]).map((n) => byName.get(n)!).filter(traced);
    cur = preferred.find(ready) ?? blocks.find((b) => traced(b) && ready(b));
    if (cur) place(cur);
  }
  for (const b of blocks) if (!placed.has(b.name)) place(b);
  return { ...f, blocks: order };
}

/**
 * Successor names in the order a trace prefers them: the block after `b` in the IR's own
 * order when it is one (a fall-through the frontend already arranged stays, and so does
 * the shape the asic backend reads back from the object); then for `br_if` the else edge
 * (the frontends put the rare branch, an early return or error, in `then`; and a `jset`
 * condition cannot be inverted to fall into `then`).
 */
function preferredSuccessors(b: Block, after: Block | undefined): string[] {
  const t = b.term;
  const names = t.op === "br_if" ? [t.else.block, t.then.block] : successors(t).map((c) => c.block);
  return [...new Set(after && names.includes(after.name) ? [after.name, ...names] : names)];
}

/** Each block's predecessors over edges that are not back edges of a DFS from the entry. */
function forwardPredecessors(f: Func): Map<string, Set<string>> {
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  const preds = new Map<string, Set<string>>();
  const state = new Map<string, "open" | "done">();
  // Iterative DFS: unrolled loops give functions deeper than the JS stack would like.
  const stack: { name: string; next: string[] }[] = [];
  const open = (name: string) => {
    state.set(name, "open");
    stack.push({ name, next: successors(byName.get(name)!.term).map((c) => c.block).reverse() });
  };
  open(f.blocks[0]!.name);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const to = top.next.pop();
    if (to === undefined) {
      state.set(top.name, "done");
      stack.pop();
      continue;
    }
    if (state.get(to) === "open") continue; // a back edge: the loop's header does not wait for its latch
    (preds.get(to) ?? preds.set(to, new Set()).get(to)!).add(top.name);
    if (!state.has(to)) open(to);
  }
  return preds;
}
