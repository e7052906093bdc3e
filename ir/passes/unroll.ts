// Loop unrolling for targets without back edges (pipelines, the ASIC, a VLIW schedule).
// Needs: valid IR. Keeps: valid IR, the same behaviour.
// A natural loop (a back edge L → H where H dominates L) is peeled one iteration at a time
// (its blocks are copied, the entering edges go to the copy, the copy's back edges to the
// original) and after each peel constant folding and CFG simplification run; a loop whose
// trip count is known at compile time disappears after that many peels. Loops still
// present after UNROLL_LIMIT peels stay, and `backEdges` names them for the offload check.
import { maxValueId, originOf, successors, usesOf, val, type Arg, type Block, type BlockCall, type Func, type Module, type Terminator } from "../core/ir.js";
import { constFold } from "./const-fold.js";
import { simplifyCfg } from "./simplify-cfg.js";
import { dominates, dominators, predecessors } from "./util.js";

export const UNROLL_LIMIT = 256;

/** Back edges (from, to) of a function. */
export function backEdges(f: Func): [string, string][] {
  const idom = dominators(f);
  const out: [string, string][] = [];
  for (const b of f.blocks) for (const s of successors(b.term)) if (idom.has(b.name) && dominates(idom, s.block, b.name)) out.push([b.name, s.block]);
  return out;
}

function loopBlocks(f: Func, header: string, latch: string): Set<string> {
  const preds = predecessors(f);
  const body = new Set([header]);
  const work = [latch];
  while (work.length) {
    const n = work.pop()!;
    if (body.has(n)) continue;
    body.add(n);
    work.push(...preds.get(n)!);
  }
  return body;
}

/**
 * Makes every value defined in the loop and read outside it arrive through a parameter of
 * the exit block, so that copies of the loop can each pass their own.
 */
function closeLoop(f: Func, body: Set<string>): Func {
  const definedIn = new Map<number, string>();
  for (const b of f.blocks) if (body.has(b.name)) for (const i of b.insts) if (i.result !== undefined) definedIn.set(i.result, b.name);
  for (const b of f.blocks) if (body.has(b.name)) for (const p of b.params) definedIn.set(p.id, b.name);
  const idom = dominators(f);
  const exits = [...new Set(f.blocks.filter((b) => body.has(b.name)).flatMap((b) => successors(b.term).map((s) => s.block)).filter((n) => !body.has(n)))];
  let next = maxValueId(f) + 1;
  let blocks = [...f.blocks];
  for (const exit of exits) {
    const region = new Set(blocks.filter((b) => dominates(idom, exit, b.name)).map((b) => b.name));
    const escaping = [...new Set(blocks.filter((b) => region.has(b.name)).flatMap((b) => [...b.insts.flatMap(usesOf), ...usesOf(b.term)]))].filter((v) => definedIn.has(v));
    if (!escaping.length) continue;
    const fresh = new Map(escaping.map((v) => [v, next++]));
    const rename = (a: Arg): Arg => (a.kind === "value" && fresh.has(a.id) ? val(fresh.get(a.id)!) : a);
    const renameCall = (c: BlockCall): BlockCall => ({ block: c.block, args: c.args.map(rename) });
    blocks = blocks.map((b) => {
      let nb = b;
      if (region.has(b.name)) {
        const t = b.term;
        const term: Terminator = t.op === "br" ? { op: "br", to: renameCall(t.to), ...originOf(t) } : t.op === "br_if" ? { op: "br_if", cond: rename(t.cond), then: renameCall(t.then), else: renameCall(t.else), ...originOf(t) } : t.op === "ret" ? { op: "ret", value: rename(t.value), ...originOf(t) } : t;
        nb = { ...b, insts: b.insts.map((i) => ({ ...i, args: i.args.map(rename) })), term };
      }
      if (b.name === exit) nb = { ...nb, params: [...nb.params, ...escaping.map((v) => ({ id: fresh.get(v)!, type: "i64" as const }))] };
      const add = (c: BlockCall): BlockCall => (c.block === exit ? { block: c.block, args: [...c.args, ...escaping.map((v) => val(v))] } : c);
      const t = nb.term;
      if (body.has(b.name)) nb = { ...nb, term: t.op === "br" ? { op: "br", to: add(t.to), ...originOf(t) } : t.op === "br_if" ? { ...t, then: add(t.then), else: add(t.else) } : t };
      return nb;
    });
  }
  return { ...f, blocks };
}

function peel(f: Func, header: string, latch: string, round: number): Func {
  const body = loopBlocks(f, header, latch);
  f = closeLoop(f, body);
  let next = maxValueId(f) + 1;
  const rename = new Map<number, number>();
  const id = (v: number) => rename.get(v) ?? (rename.set(v, next++), rename.get(v)!);
  const inLoopDefs = new Set<number>();
  for (const b of f.blocks) if (body.has(b.name)) {
    for (const p of b.params) inLoopDefs.add(p.id);
    for (const i of b.insts) if (i.result !== undefined) inLoopDefs.add(i.result);
  }
  const arg = (a: Arg): Arg => (a.kind === "value" && inLoopDefs.has(a.id) ? val(id(a.id)) : a);
  // The copy: header renamed to a fresh name; its back edges go to the original header.
  const copyName = (n: string) => `${n}.u${round}`;
  const call = (c: BlockCall): BlockCall => ({ block: c.block === header ? header : body.has(c.block) ? copyName(c.block) : c.block, args: c.args.map(arg) });
  const copies: Block[] = f.blocks.filter((b) => body.has(b.name)).map((b) => {
    const t = b.term;
    const term: Terminator = t.op === "br" ? { op: "br", to: call(t.to), ...originOf(t) } : t.op === "br_if" ? { op: "br_if", cond: arg(t.cond), then: call(t.then), else: call(t.else), ...originOf(t) } : t.op === "ret" ? { op: "ret", value: arg(t.value), ...originOf(t) } : t;
    return { name: copyName(b.name), params: b.params.map((p) => ({ id: id(p.id), type: p.type })), insts: b.insts.map((i) => ({ ...i, result: i.result === undefined ? undefined : id(i.result), args: i.args.map(arg) })), term };
  });
  // Entering edges (from outside the loop) now enter the copy.
  const enter = (c: BlockCall): BlockCall => (c.block === header ? { ...c, block: copyName(header) } : c);
  const blocks = f.blocks.map((b) => {
    if (body.has(b.name)) return b;
    const t = b.term;
    return { ...b, term: t.op === "br" ? { op: "br" as const, to: enter(t.to), ...originOf(t) } : t.op === "br_if" ? { ...t, then: enter(t.then), else: enter(t.else) } : t };
  });
  const at = blocks.findIndex((b) => b.name === header);
  return { ...f, blocks: [...blocks.slice(0, at), ...copies, ...blocks.slice(at)] };
}

function unrollFunc(m: Module, f: Func): Func {
  for (let round = 0; round < UNROLL_LIMIT; round++) {
    const edges = backEdges(f);
    if (!edges.length) return f;
    const [latch, header] = edges[0]!;
    const peeled = peel(f, header, latch, round);
    f = simplifyCfg(constFold({ ...m, funcs: [peeled] })).funcs[0]!;
  }
  return f;
}

export function unroll(m: Module): Module {
  return { ...m, funcs: m.funcs.map((f) => unrollFunc(m, f)) };
}
