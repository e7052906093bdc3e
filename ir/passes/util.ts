// Small rewriting tools the passes share: substituting values, walking predecessors,
// and dominators.
import { originOf, successors, type Arg, type Block, type BlockCall, type Func, type Inst, type Terminator } from "../core/ir.js";

/** Replaces every use of the mapped values (following chains: a → b → imm). */
export function substitute(f: Func, map: ReadonlyMap<number, Arg>): Func {
  if (!map.size) return f;
  const resolve = (a: Arg): Arg => {
    let cur = a;
    for (let n = 0; cur.kind === "value" && map.has(cur.id) && n < 1000; n++) cur = map.get(cur.id)!;
    return cur;
  };
  const call = (c: BlockCall): BlockCall => ({ block: c.block, args: c.args.map(resolve) });
  const term = (t: Terminator): Terminator => {
    switch (t.op) {
      case "br": return { op: "br", to: call(t.to), ...originOf(t) };
      case "br_if": return { op: "br_if", cond: resolve(t.cond), then: call(t.then), else: call(t.else), ...originOf(t) };
      case "ret": return { op: "ret", value: resolve(t.value), ...originOf(t) };
      default: return t;
    }
  };
  return { ...f, blocks: f.blocks.map((b) => ({ ...b, insts: b.insts.map((i): Inst => ({ ...i, args: i.args.map(resolve) })), term: term(b.term) })) };
}

/** Predecessor block names of every block. */
export function predecessors(f: Func): Map<string, string[]> {
  const preds = new Map<string, string[]>(f.blocks.map((b) => [b.name, []]));
  for (const b of f.blocks) for (const s of successors(b.term)) preds.get(s.block)?.push(b.name);
  return preds;
}

/** Blocks reachable from the entry, in the function's order. */
export function reachable(f: Func): Set<string> {
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  const seen = new Set<string>();
  const work = [f.blocks[0]!.name];
  while (work.length) {
    const n = work.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const s of successors(byName.get(n)!.term)) work.push(s.block);
  }
  return seen;
}

/** Immediate dominators (Cooper, Harvey & Kennedy's iterative algorithm over reverse postorder). */
export function dominators(f: Func): Map<string, string> {
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const s of successors(byName.get(n)!.term)) visit(s.block);
    order.push(n);
  };
  visit(f.blocks[0]!.name);
  const rpo = order.reverse();
  const index = new Map(rpo.map((n, i) => [n, i]));
  const preds = predecessors(f);
  const idom = new Map<string, string>([[rpo[0]!, rpo[0]!]]);
  const intersect = (a: string, b: string) => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of rpo.slice(1)) {
      const ps = preds.get(n)!.filter((p) => idom.has(p));
      if (!ps.length) continue;
      const d = ps.slice(1).reduce(intersect, ps[0]!);
      if (idom.get(n) !== d) {
        idom.set(n, d);
        changed = true;
      }
    }
  }
  return idom;
}

/** Whether block a dominates block b. */
export function dominates(idom: Map<string, string>, a: string, b: string): boolean {
  for (let cur = b; ; cur = idom.get(cur)!) {
    if (cur === a) return true;
    if (!idom.has(cur) || idom.get(cur) === cur) return cur === a;
  }
}

export function mapBlocks(f: Func, fn: (b: Block) => Block): Func {
  return { ...f, blocks: f.blocks.map(fn) };
}
