// Stack slot promotion: stack slots whose address does not escape become SSA values.
// Needs: valid IR. Keeps: valid IR, the same behaviour for programs that never read
// stack bytes they did not write (what the verifier guarantees).
//
// A slot is an (offset, size) pair relative to the frame. It is promoted when every access
// to its bytes is a plain load or store of exactly that offset and size, its loads are
// zero-extending, and no frame pointer that reaches it escapes: a pointer passed to a map
// operation covers the key or value bytes behind it; any other use of a frame pointer
// (a call, a store of the pointer, a comparison, a branch argument) blocks promotion in
// the whole function, except that a frame address passed to a helper or a subprogram,
// or offset by a variable, blocks only the slots from it to the top of the frame. A
// promoted slot holds the last value stored; each load gives it
// truncated to the load's size, as the memory would.
import { imm, originOf, val, type Arg, type Block, type Func, type Inst, type Module, type Param, type Terminator } from "../core/ir.js";
import { maxValueId, successors, usesOf } from "../core/ir.js";
import { substitute } from "./util.js";

const SIZE_BYTES: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4 };

interface Slot {
  key: string;
  off: bigint;
  size: number;
}

function analyse(m: Module, f: Func): Map<string, Slot> {
  const frameOff = new Map<number, bigint>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op === "frame") frameOff.set(i.result!, 0n);
      const [a, c] = i.args;
      if (i.op === "ptradd" && a?.kind === "value" && frameOff.has(a.id) && c?.kind === "imm") frameOff.set(i.result!, frameOff.get(a.id)! + c.value);
    }
  }
  const accesses: { off: bigint; size: number; plain: boolean }[] = [];
  const escapes: [bigint, bigint][] = [];
  let escapedAll = false;
  const isFrame = (a: Arg | undefined) => a?.kind === "value" && frameOff.has(a.id);
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const [first, , off] = i.args;
      const memory = /^(load|store|atomic)\./.exec(i.op);
      i.args.forEach((a, k) => {
        if (!isFrame(a)) return;
        const at = frameOff.get((a as { id: number }).id)!;
        if (memory && k === 1 && off?.kind === "imm") {
          const size = SIZE_BYTES[i.op.split(".").pop()!]!;
          accesses.push({ off: at + off.value, size, plain: i.op.startsWith("store.") || (i.op.startsWith("load.u")) });
          return;
        }
        if (i.op === "ptradd" && k === 0 && i.args[1]?.kind === "imm") return;
        if (i.op.startsWith("map.") && first?.kind === "sym" && k > 0) {
          const def = m.maps.find((x) => x.name === first.name);
          const len = i.op === "map.update" && k === 2 ? def?.valueSize : def?.keySize;
          if (len !== undefined) return void escapes.push([at, at + BigInt(len)]);
        }
        // A frame address handed to a helper or a subprogram, or indexed by a variable,
        // reaches the bytes from it up to the top of the frame: an object extends upward
        // from its address (C11 §6.5.6p8: pointer arithmetic stays inside the object),
        // and a helper writes inside the object it is given. Slots below stay promotable.
        if ((i.op === "call.helper" || i.op === "call") && k > 0 && at < 0n) return void escapes.push([at, 0n]);
        if (i.op === "ptradd" && k === 0 && at < 0n) return void escapes.push([at, 0n]);
        escapedAll = true;
      });
    }
    for (const u of [...usesOf(b.term)]) if (frameOff.has(u)) escapedAll = true;
  }
  const slots = new Map<string, Slot>();
  if (escapedAll) return slots;
  const overlaps = (a0: bigint, a1: bigint, b0: bigint, b1: bigint) => a0 < b1 && b0 < a1;
  for (const a of accesses) {
    const key = `${a.off}:${a.size}`;
    const end = a.off + BigInt(a.size);
    const clean = accesses.every((o) => !overlaps(a.off, end, o.off, o.off + BigInt(o.size)) || (o.off === a.off && o.size === a.size && o.plain)) && escapes.every(([s, e]) => !overlaps(a.off, end, s, e));
    if (clean) slots.set(key, { key, off: a.off, size: a.size });
  }
  return slots;
}

function promote(m: Module, f: Func): Func {
  const slots = analyse(m, f);
  if (!slots.size) return f;
  const frameOff = new Map<number, bigint>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op === "frame") frameOff.set(i.result!, 0n);
      const [a, c] = i.args;
      if (i.op === "ptradd" && a?.kind === "value" && frameOff.has(a.id) && c?.kind === "imm") frameOff.set(i.result!, frameOff.get(a.id)! + c.value);
    }
  }
  const slotOf = (i: Inst): Slot | undefined => {
    const [, base, off] = i.args;
    if (!/^(load|store)\./.test(i.op) || base?.kind !== "value" || !frameOff.has(base.id) || off?.kind !== "imm") return undefined;
    return slots.get(`${frameOff.get(base.id)! + off.value}:${SIZE_BYTES[i.op.split(".")[1]!]}`);
  };
  // Liveness of slots: read before written in a block, or live out and not written.
  const use = new Map<string, Set<string>>();
  const def = new Map<string, Set<string>>();
  for (const b of f.blocks) {
    const u = new Set<string>();
    const d = new Set<string>();
    for (const i of b.insts) {
      const s = slotOf(i);
      if (!s) continue;
      if (i.op.startsWith("load.") && !d.has(s.key)) u.add(s.key);
      if (i.op.startsWith("store.")) d.add(s.key);
    }
    use.set(b.name, u);
    def.set(b.name, d);
  }
  const liveIn = new Map(f.blocks.map((b) => [b.name, new Set(use.get(b.name))]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of [...f.blocks].reverse()) {
      const inSet = liveIn.get(b.name)!;
      for (const s of successors(b.term)) {
        for (const k of liveIn.get(s.block)!) {
          if (!def.get(b.name)!.has(k) && !inSet.has(k)) (inSet.add(k), (changed = true));
        }
      }
    }
  }
  let next = maxValueId(f) + 1;
  const order = [...slots.keys()].sort();
  const paramsOf = new Map<string, Map<string, number>>();
  for (const [bi, b] of f.blocks.entries()) {
    if (bi === 0) continue;
    paramsOf.set(b.name, new Map(order.filter((k) => liveIn.get(b.name)!.has(k)).map((k) => [k, next++])));
  }
  const replaced = new Map<number, Arg>();
  const blocks: Block[] = f.blocks.map((b, bi) => {
    const cur = new Map<string, Arg>();
    const insts: Inst[] = [];
    if (bi === 0) {
      for (const k of order.filter((k) => liveIn.get(b.name)!.has(k))) {
        const id = next++;
        insts.push({ result: id, type: "i64", op: "undef", args: [] });
        cur.set(k, val(id));
      }
    } else for (const [k, id] of paramsOf.get(b.name)!) cur.set(k, val(id));
    for (const i of b.insts) {
      const s = slotOf(i);
      if (!s) {
        insts.push(i);
        continue;
      }
      if (i.op.startsWith("store.")) {
        cur.set(s.key, i.args[3]!);
        continue;
      }
      const v = cur.get(s.key) ?? imm(0);
      if (s.size === 8) replaced.set(i.result!, v);
      else if (s.size === 4) insts.push({ result: i.result, type: "i64", op: "zext32", args: [v], ...originOf(i) });
      else insts.push({ result: i.result, type: "i64", op: "and", args: [v, imm(s.size === 2 ? 0xffff : 0xff)], ...originOf(i) });
    }
    const pass = (block: string, args: readonly Arg[]) => ({ block, args: [...args, ...[...paramsOf.get(block)!.keys()].map((k) => cur.get(k) ?? imm(0))] });
    const t = b.term;
    const term: Terminator = t.op === "br" ? { op: "br", to: pass(t.to.block, t.to.args), ...originOf(t) } : t.op === "br_if" ? { ...t, then: pass(t.then.block, t.then.args), else: pass(t.else.block, t.else.args) } : t;
    const params: readonly Param[] = bi === 0 ? b.params : [...b.params, ...[...paramsOf.get(b.name)!.values()].map((id) => ({ id, type: "i64" as const }))];
    return { ...b, params, insts, term };
  });
  return substitute({ ...f, blocks }, replaced);
}

export function mem2reg(m: Module): Module {
  return { ...m, funcs: m.funcs.map((f) => promote(m, f)) };
}
