// Folds constant pointer offsets into memory accesses.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//
// A load, store or atomic through `%q = ptradd %p, K` (K an immediate) accesses %p at
// offset + K instead, when the sum fits BPF's 16-bit signed offset; the ptradd is then
// often dead. `ip->daddr` through `ip = (void *)(eth + 1)` becomes one access at
// data + 30, as clang emits it; the verifier tracks the constant part of packet pointers.
import type { Arg, Func, Inst, Module } from "../core/ir.js";

const MEMORY = /^(load|store|atomic)\./;

function foldFunc(f: Func): Func {
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined) defs.set(i.result, i);
  /** The pointer a value is, as (base, constant offset), through chains of ptradd. */
  const split = (a: Arg): { base: Arg; off: bigint } => {
    let base = a;
    let off = 0n;
    for (let n = 0; n < 64 && base.kind === "value"; n++) {
      const d = defs.get(base.id);
      if (d?.op !== "ptradd" || d.args[1]?.kind !== "imm") break;
      off += d.args[1].value;
      base = d.args[0]!;
    }
    return { base, off };
  };
  let changed = false;
  const blocks = f.blocks.map((b) => ({
    ...b,
    insts: b.insts.map((i) => {
      if (!MEMORY.test(i.op)) return i;
      const [region, ptr, off] = i.args;
      if (ptr?.kind !== "value" || off?.kind !== "imm") return i;
      const s = split(ptr);
      const total = s.off + off.value;
      if (s.off === 0n || total < -32768n || total > 32767n) return i;
      changed = true;
      return { ...i, args: [region!, s.base, { kind: "imm" as const, value: total }, ...i.args.slice(3)] };
    }),
  }));
  return changed ? { ...f, blocks } : f;
}

export function foldOffsets(m: Module): Module {
  return { ...m, funcs: m.funcs.map(foldFunc) };
}
