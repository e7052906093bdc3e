// Inlining of small leaf subprograms.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
// A call to a function of at most INLINE_LIMIT instructions that calls nothing itself is
// replaced by a copy of its blocks: the calling block is split at the call, the copy's
// entry takes the arguments, every `ret v` branches to the continuation with v. The copy's
// stack frame is placed below every byte the caller's frame uses, as bpf-to-bpf calls
// would have given it a frame of its own; a caller whose frame use is not known at
// compile time keeps its calls.
import { imm, originOf, val, maxValueId, type Arg, type Block, type BlockCall, type Func, type Inst, type Module, type Terminator } from "../core/ir.js";

export const INLINE_LIMIT = 40;
const STACK = 512n;

/** The lowest frame offset a function touches, or undefined when it cannot be known. */
export function frameDepth(f: Func): bigint | undefined {
  const off = new Map<number, bigint>();
  let lowest = 0n;
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const [a, c, d] = i.args;
      if (i.op === "frame") off.set(i.result!, 0n);
      else if (i.op === "ptradd" && a?.kind === "value" && off.has(a.id)) {
        if (c?.kind !== "imm") return undefined;
        off.set(i.result!, off.get(a.id)! + c.value);
      }
      if (/^(load|store|atomic)\./.test(i.op) && c?.kind === "value" && off.has(c.id) && d?.kind === "imm") {
        const at = off.get(c.id)! + d.value;
        if (at < lowest) lowest = at;
      }
      for (const x of i.args) if (x.kind === "value" && off.has(x.id) && off.get(x.id)! < lowest) lowest = off.get(x.id)!;
    }
  }
  return lowest;
}

function inlineable(g: Func): boolean {
  const size = g.blocks.reduce((n, b) => n + b.insts.length + 1, 0);
  return size <= INLINE_LIMIT && !g.blocks.some((b) => b.insts.some((i) => i.op === "call"));
}

function inlineOnce(m: Module, f: Func, counter: { n: number }): Func | undefined {
  for (const [bi, b] of f.blocks.entries()) {
    const at = b.insts.findIndex((i) => i.op === "call" && i.args[0]?.kind === "sym" && m.funcs.some((g) => g.name === (i.args[0] as { name: string }).name && g !== f && inlineable(g)));
    if (at < 0) continue;
    const call = b.insts[at]!;
    const g = m.funcs.find((x) => x.name === (call.args[0] as { name: string }).name)!;
    const callerDepth = frameDepth(f);
    const calleeDepth = frameDepth(g);
    if (callerDepth === undefined || calleeDepth === undefined) continue;
    const usesFrame = g.blocks.some((x) => x.insts.some((i) => i.op === "frame"));
    const base = callerDepth - (((callerDepth % 8n) + 8n) % 8n);
    if (usesFrame && base + calleeDepth < -STACK) continue;
    const n = counter.n++;
    let next = maxValueId(f) + 1;
    const rename = new Map<number, number>();
    const id = (old: number) => rename.get(old) ?? (rename.set(old, next++), rename.get(old)!);
    // The copy's entry parameters are the call's arguments themselves.
    const bound = new Map(g.blocks[0]!.params.map((p, k) => [p.id, call.args[k + 1] ?? imm(0)]));
    const arg = (a: Arg): Arg => (a.kind === "value" ? (bound.get(a.id) ?? val(id(a.id))) : a);
    const label = (name: string) => `${name}.i${n}`;
    const cont = `${b.name}.c${n}`;
    const callerFrame = f.blocks[0]!.insts.find((i) => i.op === "frame")?.result;
    const extraEntry: Inst[] = [];
    let frameId = callerFrame;
    if (usesFrame && frameId === undefined) {
      frameId = next++;
      extraEntry.push({ result: frameId, type: "ptr.stack", op: "frame", args: [] });
    }
    const copies: Block[] = g.blocks.map((gb, gi) => {
      const insts = gb.insts.map((i): Inst => {
        if (i.op === "frame") return { result: id(i.result!), type: "ptr.stack", op: "ptradd", args: [val(frameId!), imm(base)], ...originOf(i) };
        return { ...i, result: i.result === undefined ? undefined : id(i.result), args: i.args.map(arg) };
      });
      const c = (x: BlockCall): BlockCall => ({ block: label(x.block), args: x.args.map(arg) });
      const t = gb.term;
      const term: Terminator = t.op === "ret" ? { op: "br", to: { block: cont, args: [arg(t.value)] }, ...originOf(t) } : t.op === "br" ? { op: "br", to: c(t.to), ...originOf(t) } : t.op === "br_if" ? { op: "br_if", cond: arg(t.cond), then: c(t.then), else: c(t.else), ...originOf(t) } : t;
      return { name: label(gb.name), params: gi === 0 ? [] : gb.params.map((p) => ({ id: id(p.id), type: p.type })), insts, term };
    });
    const head: Block = { ...b, insts: b.insts.slice(0, at), term: { op: "br", to: { block: copies[0]!.name, args: [] }, ...originOf(call) } };
    const tail: Block = { name: cont, params: [{ id: call.result!, type: "i64" }], insts: b.insts.slice(at + 1), term: b.term };
    const blocks = [...f.blocks.slice(0, bi), head, ...copies, tail, ...f.blocks.slice(bi + 1)];
    if (extraEntry.length) blocks[0] = { ...blocks[0]!, insts: [...extraEntry, ...blocks[0]!.insts] };
    return { ...f, blocks };
  }
  return undefined;
}

export function inline(m: Module): Module {
  const counter = { n: 0 };
  let funcs = [...m.funcs];
  for (let k = 0; k < funcs.length; k++) {
    for (let round = 0; round < 64; round++) {
      const next = inlineOnce({ ...m, funcs }, funcs[k]!, counter);
      if (!next) break;
      funcs[k] = next;
    }
  }
  // Functions no longer called from the entry's call graph go.
  const called = new Set<string>([funcs[0]!.name]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of funcs.filter((x) => called.has(x.name))) {
      for (const b of f.blocks) for (const i of b.insts) if (i.op === "call" && i.args[0]?.kind === "sym" && !called.has(i.args[0].name)) (called.add(i.args[0].name), (grew = true));
    }
  }
  funcs = funcs.filter((f) => called.has(f.name));
  return { ...m, funcs };
}
