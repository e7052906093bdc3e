// IR → BPF: every function of the module emitted (emit.ts) in its block layout (layout.ts),
// the entry first, then laid out one after another with `call local` offsets fixed up, as one program of an object.
import type { BpfObject } from "../../../ir/bpf/object.js";
import type { Insn } from "../../../ir/bpf/insn.js";
import { fail } from "../../../ir/diag/diag.js";
import type { Module } from "../../../ir/core/ir.js";
import { emitFunction } from "./emit.js";
import { layoutBlocks } from "./layout.js";

export interface CodegenContext {
  /** Program name and section for the object. */
  readonly name: string;
  readonly section: string;
  /** Initial global data and license, carried over from the input object. */
  readonly mapInit: BpfObject["mapInit"];
  readonly license: string;
}

export function compileModule(m: Module, ctx: CodegenContext): BpfObject {
  const slots: Insn[] = [];
  const starts = new Map<string, number>();
  const calls: { at: number; callee: string }[] = [];
  for (const f of m.funcs) {
    const e = emitFunction(m, layoutBlocks(f));
    starts.set(f.name, slots.length);
    for (const c of e.calls) calls.push({ at: c.at + slots.length, callee: c.callee });
    slots.push(...e.slots);
  }
  for (const c of calls) {
    const to = starts.get(c.callee);
    if (to === undefined) fail("codegen", {}, [`call to unknown function @${c.callee}`]);
    slots[c.at] = { ...slots[c.at]!, imm: to - (c.at + 1) };
  }
  const functions = new Map([...starts].map(([name, at]) => [at, at === 0 ? ctx.name : name]));
  return { programs: [{ name: ctx.name, section: ctx.section, slots, functions }], maps: m.maps, mapInit: ctx.mapInit, license: ctx.license };
}
