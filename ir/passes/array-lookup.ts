// Array-map lookup inlining: `map.lookup` of an array map whose key was just stored to the
// stack becomes `map.array_elem @m, idx` (base + idx * value_size when idx < max_entries,
// else 0), as the kernel's verifier rewrites array lookups into address arithmetic.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
// The key's store stays (a later mem2reg may promote it once nothing else reads it). The
// pattern: in the same block, `store.u32 stack, %fp, K, %idx` and then, with no store to
// the stack or call in between, `map.lookup @arr, %k` where %k is %fp + K.
import type { Func, Inst, Module } from "../core/ir.js";

function inlineFunc(m: Module, f: Func): Func {
  const frameOff = new Map<number, bigint>();
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const [a, c] = i.args;
      if (i.op === "frame") frameOff.set(i.result!, 0n);
      if (i.op === "ptradd" && a?.kind === "value" && frameOff.has(a.id) && c?.kind === "imm") frameOff.set(i.result!, frameOff.get(a.id)! + c.value);
    }
  }
  const at = (x: Inst["args"][number] | undefined, off: bigint = 0n) => (x?.kind === "value" && frameOff.has(x.id) ? frameOff.get(x.id)! + off : undefined);
  return {
    ...f,
    blocks: f.blocks.map((b) => {
      const stored = new Map<bigint, Inst["args"][number]>();
      const insts = b.insts.map((i): Inst => {
        if (i.op === "store.u32" && i.args[0]?.kind === "word" && i.args[0].word === "stack") {
          const off = at(i.args[1], (i.args[2] as { value: bigint }).value);
          if (off !== undefined) {
            for (const k of [...stored.keys()]) if (k > off - 4n && k < off + 4n) stored.delete(k);
            stored.set(off, i.args[3]!);
            return i;
          }
        }
        if (i.op === "map.lookup" && i.args[0]?.kind === "sym") {
          const map = m.maps.find((x) => x.name === (i.args[0] as { name: string }).name);
          const off = at(i.args[1]);
          const idx = off !== undefined ? stored.get(off) : undefined;
          if (map && (map.kind === "array" || map.kind === "percpu_array") && idx) return { ...i, op: "map.array_elem", args: [i.args[0], idx] };
        }
        // Anything else that may write the stack, or call out, forgets what was stored.
        if (i.op.startsWith("store.") || i.op.startsWith("atomic.") || i.op.startsWith("call") || i.op.startsWith("map.")) stored.clear();
        return i;
      });
      return { ...b, insts };
    }),
  };
}

export function arrayLookup(m: Module): Module {
  return { ...m, funcs: m.funcs.map((f) => inlineFunc(m, f)) };
}
