// Common subexpression elimination over the dominator tree.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//
// An instruction without effects (OPS row effect: false) that repeats one in a dominating
// block, same opcode and operands, is that one's result. Loads are pure but read memory:
// a load is reused only along an extended basic block (a block whose only predecessor is
// its immediate dominator inherits the loads available at the end of it), and every
// instruction with effects (stores, atomics, helper and map calls, which may change the
// packet or map values) forgets all loads. Inlined helper functions called twice with the
// same arguments, and fields read in one condition and again in the next, are the cases.
import type { Arg, Func, Inst, Module } from "../core/ir.js";
import { OPS } from "../core/ops.js";
import { printArg } from "../text/print.js";
import { dominators, predecessors, substitute } from "./util.js";

const keyOf = (i: Inst, resolve: (a: Arg) => Arg): string => `${i.op} ${i.args.map((a) => printArg(resolve(a))).join(",")} : ${i.type}`;
/** Opcodes that are pure but must not be merged: `frame` and `undef` name distinct things. */
const KEEP = new Set(["undef"]);

function cseFunc(f: Func): Func {
  if (!f.blocks.length) return f;
  const idom = dominators(f);
  const preds = predecessors(f);
  const children = new Map<string, string[]>();
  for (const b of f.blocks) {
    const d = idom.get(b.name);
    if (d !== undefined && d !== b.name) children.set(d, [...(children.get(d) ?? []), b.name]);
  }
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  const replace = new Map<number, Arg>();
  const resolve = (a: Arg): Arg => {
    let cur = a;
    while (cur.kind === "value" && replace.has(cur.id)) cur = replace.get(cur.id)!;
    return cur;
  };
  // Walk the dominator tree with scoped tables: pure values (whole subtree), loads (chain only).
  const walk = (name: string, pure: Map<string, number>, loads: Map<string, number>) => {
    const b = byName.get(name)!;
    const myPure = new Map(pure);
    let myLoads = new Map(loads);
    for (const i of b.insts) {
      const row = OPS.get(i.op);
      if (row?.effect) {
        myLoads = new Map();
        continue;
      }
      if (i.result === undefined || KEEP.has(i.op)) continue;
      const key = keyOf(i, resolve);
      // ctx.get reads the context, which helpers change (bpf_xdp_adjust_head moves data): a load.
      const table = i.op.startsWith("load.") || i.op === "ctx.get" ? myLoads : myPure;
      const prior = table.get(key);
      if (prior !== undefined) replace.set(i.result, { kind: "value", id: prior });
      else table.set(key, i.result);
    }
    for (const c of children.get(name) ?? []) {
      const single = preds.get(c)!.length === 1 && preds.get(c)![0] === name;
      walk(c, myPure, single ? myLoads : new Map());
    }
  };
  walk(f.blocks[0]!.name, new Map(), new Map());
  if (!replace.size) return f;
  const out = substitute(f, replace);
  return { ...out, blocks: out.blocks.map((b) => ({ ...b, insts: b.insts.filter((i) => i.result === undefined || !replace.has(i.result)) })) };
}

export function cse(m: Module): Module {
  return { ...m, funcs: m.funcs.map(cseFunc) };
}
