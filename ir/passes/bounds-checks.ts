// Packet bounds checks: recognise them, then remove the ones an earlier check implies.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//   1. `%q = ptradd %p, K` + `%c = icmp.ugt %q, %end` (and the other spellings clang uses:
//      `icmp.ult %end, %q`, `icmp.ule %q, %end`, `icmp.uge %end, %q`) become
//      `%ok = packet.check %p, %end, K`, with the branch's edges swapped where needed;
//   2. a packet.check of (p, end, K) on a path dominated by the passing edge of a check of
//      (p, end, K') with K' >= K is true, and const-fold then removes its branch.
import { imm, originOf, val, type Arg, type Block, type Func, type Inst, type Module } from "../core/ir.js";
import { dominates, dominators, predecessors, substitute } from "./util.js";

interface Check {
  ptr: number;
  end: number;
  len: bigint;
}

function recognise(f: Func): Func {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined) defs.set(i.result, i);
  const offsetOf = (a: Arg): { base: number; len: bigint } | undefined => {
    if (a.kind !== "value") return undefined;
    const d = defs.get(a.id);
    return d?.op === "ptradd" && d.args[0]?.kind === "value" && d.args[1]?.kind === "imm" && d.args[1].value >= 0n ? { base: d.args[0].id, len: d.args[1].value } : undefined;
  };
  return {
    ...f,
    blocks: f.blocks.map((b): Block => {
      const t = b.term;
      if (t.op !== "br_if" || t.cond.kind !== "value") return b;
      const condId = t.cond.id;
      const cond = b.insts.find((i) => i.result === condId);
      if (!cond || !cond.op.startsWith("icmp.")) return b;
      const [x, y] = cond.args as [Arg, Arg];
      // "out of bounds" spellings: q > end, end < q; "in bounds": q <= end, end >= q.
      const forms: [string, Arg, Arg, boolean][] = [["ugt", x, y, true], ["ult", y, x, true], ["ule", x, y, false], ["uge", y, x, false]];
      const match = forms.find(([c]) => cond.op === `icmp.${c}`);
      if (!match) return b;
      const [, q, end, outOfBounds] = match;
      const off = offsetOf(q);
      if (!off || end.kind !== "value") return b;
      const check: Inst = { result: condId, type: "i1", op: "packet.check", args: [val(off.base), end, imm(off.len)], ...originOf(cond) };
      return { ...b, insts: b.insts.map((i) => (i === cond ? check : i)), term: outOfBounds ? { ...t, then: t.else, else: t.then } : t };
    }),
  };
}

function eliminate(f: Func): Func {
  const idom = dominators(f);
  const preds = predecessors(f);
  // Each check whose passing edge leads to a block with that check as its only way in.
  const proven: { block: string; check: Check }[] = [];
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== "br_if" || t.cond.kind !== "value") continue;
    const condId = t.cond.id;
    const c = b.insts.find((i) => i.result === condId && i.op === "packet.check");
    if (!c || c.args[0]?.kind !== "value" || c.args[1]?.kind !== "value" || c.args[2]?.kind !== "imm") continue;
    if (preds.get(t.then.block)!.length !== 1 || t.then.block === t.else.block) continue;
    proven.push({ block: t.then.block, check: { ptr: c.args[0].id, end: c.args[1].id, len: c.args[2].value } });
  }
  const known = new Map<number, Arg>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op !== "packet.check" || i.result === undefined) continue;
      const [p, e, l] = i.args;
      if (p?.kind !== "value" || e?.kind !== "value" || l?.kind !== "imm") continue;
      if (proven.some((pr) => pr.check.ptr === p.id && pr.check.end === e.id && pr.check.len >= l.value && dominates(idom, pr.block, b.name))) known.set(i.result, imm(1));
    }
  }
  return substitute(f, known);
}

export function boundsChecks(m: Module): Module {
  return { ...m, funcs: m.funcs.map((f) => eliminate(recognise(f))) };
}
