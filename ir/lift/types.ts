// Type inference for lifted IR: which values are pointers into which region. The entry's
// parameters are typed by the program type; frame, ctx fields, map lookups and global data
// give pointers; ptradd keeps its region; a block parameter has a pointer type when every
// branch passes that type. Along the way, an `add` of a pointer becomes `ptradd`, memory
// operations name their region, and 4-byte loads of xdp_md fields become `ctx.get`.
import { imm, word, type Arg, type Func, type Inst, type Module, type Region, type Type } from "../core/ir.js";
import { CTX_FIELDS } from "../core/ops.js";
import { resultType } from "../core/validate.js";
import { printInst } from "../text/print.js";

const isPtr = (t: Type | undefined): boolean => t !== undefined && t.startsWith("ptr.");
const regionOf = (t: Type | undefined): Region => (t && t.startsWith("ptr.") ? (t.slice(4) as Region) : "any");
const CTX_BY_OFFSET = new Map(Object.entries(CTX_FIELDS).map(([name, f]) => [f.offset, name]));

function rewrite(i: Inst, typeOf: (a: Arg) => Type | undefined, moduleType: Module["type"]): Inst {
  const [a, b] = i.args;
  let op = i.op;
  let args = i.args;
  if ((op === "add" || op === "ptradd") && a && b) {
    if (isPtr(typeOf(a))) op = "ptradd";
    else if (isPtr(typeOf(b))) {
      op = "ptradd";
      args = [b, a];
    } else op = "add";
  } else if (op === "sub" && a && b?.kind === "imm" && isPtr(typeOf(a))) {
    op = "ptradd";
    args = [a, imm(-b.value)];
  }
  if (/^(load|store|atomic)\./.test(op)) {
    const region = regionOf(typeOf(args[1]!));
    args = [word(region), ...args.slice(1)];
    const off = args[2];
    if (op === "load.u32" && region === "ctx" && moduleType === "xdp" && off?.kind === "imm" && CTX_BY_OFFSET.has(Number(off.value))) {
      op = "ctx.get";
      args = [args[1]!, word(CTX_BY_OFFSET.get(Number(off.value))!)];
    }
  }
  const next = { ...i, op, args };
  const type = resultType(next, (id) => typeOf({ kind: "value", id }));
  return type === undefined ? next : { ...next, type };
}

function inferFunc(f: Func, moduleType: Module["type"], fixedEntry: boolean): Func {
  // Optimistic: a parameter's type starts unknown and becomes the join of the known types
  // passed to it (the same pointer type, or i64 when they differ), so that a pointer
  // carried around a loop stays a pointer.
  const known = new Map<number, Type>();
  if (fixedEntry) for (const p of f.blocks[0]!.params) known.set(p.id, p.type);
  let blocks = f.blocks;
  for (let round = 0; round < 50; round++) {
    const types = new Map<number, Type>(known);
    for (const b of blocks) for (const i of b.insts) if (i.result !== undefined) types.set(i.result, i.type ?? "i64");
    const typeOf = (a: Arg): Type | undefined => (a.kind === "value" ? types.get(a.id) : a.kind === "imm" ? "i64" : undefined);
    const incoming = new Map<string, (Type | undefined)[][]>();
    for (const b of blocks) {
      const calls = b.term.op === "br" ? [b.term.to] : b.term.op === "br_if" ? [b.term.then, b.term.else] : [];
      for (const c of calls) {
        const list = incoming.get(c.block) ?? [];
        list.push(c.args.map(typeOf));
        incoming.set(c.block, list);
      }
    }
    let changed = false;
    blocks.forEach((b, k) => {
      if (k === 0 && fixedEntry) return;
      b.params.forEach((p, j) => {
        const ins = (incoming.get(b.name) ?? []).map((args) => args[j]).filter((t): t is Type => t !== undefined);
        if (!ins.length) return;
        const t = ins.every((x) => x === ins[0]) ? ins[0]! : "i64";
        if (known.get(p.id) !== t) {
          known.set(p.id, t);
          changed = true;
        }
      });
    });
    blocks = blocks.map((b) => {
      const insts = b.insts.map((i) => {
        const r = rewrite(i, typeOf, moduleType);
        if (printInst(r) !== printInst(i)) changed = true;
        return r;
      });
      return { ...b, insts };
    });
    if (!changed) break;
  }
  return { ...f, blocks: blocks.map((b) => ({ ...b, params: b.params.map((p) => ({ ...p, type: known.get(p.id) ?? "i64" })) })) };
}

/**
 * Whole-module inference: a subprogram's parameters take the type every call site passes
 * (a packet pointer handed to a parsing helper stays a packet pointer inside it), which
 * can refine the callers' types in turn, until nothing changes.
 */
export function inferTypes(m: Module): Module {
  let funcs = m.funcs.map((f) => inferFunc(f, m.type, true));
  for (let round = 0; round < 8; round++) {
    const passed = new Map<string, (Type | undefined)[][]>();
    for (const f of funcs) {
      const types = new Map<number, Type>();
      for (const b of f.blocks) {
        for (const p of b.params) types.set(p.id, p.type);
        for (const i of b.insts) if (i.result !== undefined && i.type) types.set(i.result, i.type);
      }
      for (const b of f.blocks) {
        for (const i of b.insts) {
          const callee = i.op === "call" && i.args[0]?.kind === "sym" ? i.args[0].name : undefined;
          if (!callee) continue;
          const args = i.args.slice(1).map((a) => (a.kind === "value" ? types.get(a.id) : a.kind === "imm" ? ("i64" as Type) : undefined));
          passed.set(callee, [...(passed.get(callee) ?? []), args]);
        }
      }
    }
    let changed = false;
    funcs = funcs.map((f, k) => {
      const calls = passed.get(f.name);
      if (k === 0 || !calls) return f;
      const entry = f.blocks[0]!;
      const params = entry.params.map((p, j) => {
        const ts = calls.map((c) => c[j] ?? "i64");
        const t = ts.every((x) => x === ts[0]) ? ts[0]! : "i64";
        if (t !== p.type) changed = true;
        return { ...p, type: t };
      });
      return changed ? inferFunc({ ...f, blocks: [{ ...entry, params }, ...f.blocks.slice(1)] }, m.type, true) : f;
    });
    if (!changed) break;
  }
  return { ...m, funcs };
}
