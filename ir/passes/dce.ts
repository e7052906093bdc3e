// Dead code elimination.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
// Removes instructions without effects whose results nobody reads, and block parameters
// nobody reads (with their arguments on every edge), until nothing changes.
import { originOf, usesOf, type Arg, type Func, type Module, type Terminator } from "../core/ir.js";
import { OPS } from "../core/ops.js";

function dceFunc(f: Func): Func {
  for (;;) {
    const used = new Set<number>();
    for (const b of f.blocks) {
      for (const i of b.insts) for (const u of usesOf(i)) used.add(u);
      // Branch arguments count as uses only through the parameter they feed (below).
      const t = b.term;
      if (t.op === "br_if") for (const u of usesOf({ op: "ret", value: t.cond })) used.add(u);
      if (t.op === "ret") for (const u of usesOf(t)) used.add(u);
    }
    // A parameter is live when used; its incoming arguments are then uses too.
    const params = new Map(f.blocks.map((b) => [b.name, b.params]));
    for (let grow = true; grow; ) {
      grow = false;
      for (const b of f.blocks) {
        const calls = b.term.op === "br" ? [b.term.to] : b.term.op === "br_if" ? [b.term.then, b.term.else] : [];
        for (const c of calls) {
          params.get(c.block)!.forEach((p, k) => {
            const a = c.args[k]!;
            if (used.has(p.id) && a.kind === "value" && !used.has(a.id)) {
              used.add(a.id);
              grow = true;
            }
          });
        }
      }
    }
    let removed = false;
    const deadParam = new Map(f.blocks.map((b, bi) => [b.name, b.params.map((p) => bi > 0 && !used.has(p.id))]));
    const keep = (block: string, args: readonly Arg[]) => args.filter((_, k) => !deadParam.get(block)![k]);
    f = {
      ...f,
      blocks: f.blocks.map((b) => {
        const insts = b.insts.filter((i) => {
          const dead = i.result !== undefined && !used.has(i.result) && !OPS.get(i.op)?.effect;
          if (dead) removed = true;
          return !dead;
        });
        const params = b.params.filter((_, k) => !deadParam.get(b.name)![k]);
        if (params.length !== b.params.length) removed = true;
        const t = b.term;
        const term: Terminator = t.op === "br" ? { op: "br", to: { block: t.to.block, args: keep(t.to.block, t.to.args) }, ...originOf(t) } : t.op === "br_if" ? { ...t, then: { block: t.then.block, args: keep(t.then.block, t.then.args) }, else: { block: t.else.block, args: keep(t.else.block, t.else.args) } } : t;
        return { ...b, insts, params, term };
      }),
    };
    if (!removed) return f;
  }
}

export function dce(m: Module): Module {
  return { ...m, funcs: m.funcs.map(dceFunc) };
}
