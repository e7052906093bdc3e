// CFG simplification.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//   - blocks unreachable from the entry go;
//   - `br_if c, X(args), X(args)` with the same target and arguments becomes `br`;
//   - a block whose only predecessor ends in `br` to it is merged into that predecessor
//     (its parameters become the branch's arguments);
//   - a branch to an empty block that only branches on is redirected past it.
import { originOf, usesOf, type Arg, type Block, type BlockCall, type Func, type Module } from "../core/ir.js";
import { predecessors, reachable, substitute } from "./util.js";

const sameArgs = (a: readonly Arg[], b: readonly Arg[]) => a.length === b.length && a.every((x, k) => JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v)) === JSON.stringify(b[k], (_, v) => (typeof v === "bigint" ? v.toString() : v)));

function simplifyFunc(f: Func): Func {
  // Bounded: a loop of empty blocks (a program that spins) would otherwise thread forever.
  for (let changed = true, round = 0; changed && round < 1000; round++) {
    changed = false;
    const live = reachable(f);
    if (live.size !== f.blocks.length) {
      f = { ...f, blocks: f.blocks.filter((b) => live.has(b.name)) };
      changed = true;
    }
    f = {
      ...f,
      blocks: f.blocks.map((b) => {
        const t = b.term;
        if (t.op === "br_if" && t.then.block === t.else.block && sameArgs(t.then.args, t.else.args)) {
          changed = true;
          return { ...b, term: { op: "br", to: t.then, ...originOf(t) } };
        }
        return b;
      }),
    };
    // Jump threading through empty forwarding blocks: X: br Y(args of X's params or constants).
    const byName = new Map(f.blocks.map((b) => [b.name, b]));
    const usedOutside = (id: number, skip: Block): boolean =>
      f.blocks.some((x) => x.insts.some((i) => usesOf(i).includes(id)) || (x !== skip && usesOf(x.term).includes(id)));
    const forward = (c: BlockCall): BlockCall => {
      const target = byName.get(c.block)!;
      if (target.insts.length || target.term.op !== "br" || target === f.blocks[0] || target.term.to.block === target.name) return c;
      const paramIndex = new Map(target.params.map((p, k) => [p.id, k]));
      const args = target.term.to.args.map((a) => (a.kind === "value" && paramIndex.has(a.id) ? c.args[paramIndex.get(a.id)!]! : a));
      // Only when the skipped block's parameters are read nowhere but in its own branch
      // (blocks it dominates may read them directly), and its branch passes nothing else it defines.
      if (target.params.some((p) => usedOutside(p.id, target))) return c;
      changed = true;
      return { block: target.term.to.block, args };
    };
    f = {
      ...f,
      blocks: f.blocks.map((b) => {
        const t = b.term;
        if (t.op === "br" && t.to.block !== b.name) return { ...b, term: { op: "br", to: forward(t.to), ...originOf(t) } };
        if (t.op === "br_if") return { ...b, term: { ...t, then: t.then.block !== b.name ? forward(t.then) : t.then, else: t.else.block !== b.name ? forward(t.else) : t.else } };
        return b;
      }),
    };
    // Merge a block into its single predecessor.
    const preds = predecessors(f);
    for (const b of f.blocks.slice(1)) {
      const ps = preds.get(b.name)!;
      if (ps.length !== 1 || ps[0] === b.name) continue;
      const pred = f.blocks.find((x) => x.name === ps[0])!;
      if (pred.term.op !== "br") continue;
      const args = pred.term.to.args;
      const merged: Block = { ...pred, insts: [...pred.insts, ...b.insts], term: b.term };
      f = substitute({ ...f, blocks: f.blocks.filter((x) => x !== b).map((x) => (x === pred ? merged : x)) }, new Map(b.params.map((p, k) => [p.id, args[k]!])));
      changed = true;
      break;
    }
  }
  return f;
}

export function simplifyCfg(m: Module): Module {
  return { ...m, funcs: m.funcs.map(simplifyFunc) };
}
