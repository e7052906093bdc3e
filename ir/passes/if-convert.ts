// If-conversion for pipelined hardware: a branch whose arms only compute values becomes
// straight-line code with `select`.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
// Pattern: A ends in `br_if c, T(..), E(..)`; each arm is either the join block J itself
// or a block with A as its only predecessor, no parameters, at most IFCONV_LIMIT
// instructions that cannot fault or have effects (no loads, stores, calls), ending in
// `br J(..)`. Both arms' instructions move into A (computing both is safe), and A branches
// to J with `select c, then-value, else-value` for every argument that differs.
import { maxValueId, originOf, val, type Arg, type Block, type BlockCall, type Func, type Inst, type Module } from "../core/ir.js";
import { OPS } from "../core/ops.js";
import { predecessors } from "./util.js";

export const IFCONV_LIMIT = 8;

/** Safe to compute on both arms: no effects and no memory reads (BPF division cannot fault). */
const speculable = (i: Inst) => !OPS.get(i.op)?.effect && !i.op.startsWith("load.");

const argKey = (a: Arg) => (a.kind === "value" ? `v${a.id}` : a.kind === "imm" ? `i${a.value}` : `${a.kind}`);

function convertOnce(f: Func): Func | undefined {
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  const preds = predecessors(f);
  for (const a of f.blocks) {
    const t = a.term;
    if (t.op !== "br_if") continue;
    // Each arm: [instructions to hoist, the call to the join block].
    const arm = (c: BlockCall): { insts: readonly Inst[]; to: BlockCall; block?: Block } | undefined => {
      const b = byName.get(c.block)!;
      if (b.params.length === 0 && preds.get(b.name)!.length === 1 && b.term.op === "br" && b.insts.length <= IFCONV_LIMIT && b.insts.every(speculable)) return { insts: b.insts, to: b.term.to, block: b };
      return { insts: [], to: c };
    };
    const th = arm(t.then);
    const el = arm(t.else);
    if (!th || !el || th.to.block !== el.to.block || (!th.block && !el.block)) continue;
    if (th.block && th.block === el.block) continue;
    const join = byName.get(th.to.block)!;
    if (join === a || join === f.blocks[0]) continue;
    let next = maxValueId(f) + 1;
    const selects: Inst[] = [];
    const args = th.to.args.map((x, k) => {
      const y = el.to.args[k]!;
      if (argKey(x) === argKey(y)) return x;
      const id = next++;
      selects.push({ result: id, type: "i64", op: "select", args: [t.cond, x, y], ...originOf(a.insts.find((i) => t.cond.kind === "value" && i.result === t.cond.id)) });
      return val(id);
    });
    const merged: Block = { ...a, insts: [...a.insts, ...th.insts, ...el.insts, ...selects], term: { op: "br", to: { block: join.name, args }, ...originOf(th.block?.term ?? el.block?.term) } };
    const drop = new Set([th.block?.name, el.block?.name].filter((n): n is string => n !== undefined));
    return { ...f, blocks: f.blocks.filter((b) => !drop.has(b.name)).map((b) => (b === a ? merged : b)) };
  }
  return undefined;
}

export function ifConvert(m: Module): Module {
  return {
    ...m,
    funcs: m.funcs.map((f) => {
      for (let n = 0; n < 1000; n++) {
        const next = convertOnce(f);
        if (!next) break;
        f = next;
      }
      return f;
    }),
  };
}
