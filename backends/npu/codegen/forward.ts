// Reading answers where they land: a load's value is moved out of its read transfer
// register only when it must outlive it. Within straight-line code (no label, branch or
// call between), the uses of a register copied from `$rN` read `$rN` itself when nothing
// in between writes `$rN` again; the copy then has no readers and removeDead drops it.
// Transfer registers are readable on both ALU sides, so this also removes bank moves.
//
// Needs: VCode before scheduling and allocation. Keeps: every use reads the value the
// copy would have given it (no command with that transfer register in between; sched.ts
// keeps a later command's fill of `$rN` behind readers of `$rN`).
import { formatOf, usesOf, defsOf, type Loc, type VInst } from "./vcode.js";

/** Transfer registers a command fills (answers are pairs; a read of 8 bytes too). */
function filled(i: VInst): number[] {
  switch (formatOf(i.op)) {
    case "mem": return i.op === "rd" ? (i.size === 3 ? [i.xfer!, i.xfer! + 1] : [i.xfer!]) : [];
    case "atom": case "lkp": case "hlp": return [i.xfer!, i.xfer! + 1];
    default: return [];
  }
}

const ENDS = new Set(["label", "br", "bl", "rtn", "done"]);

export function forwardTransfers(insts: readonly VInst[]): VInst[] {
  const out = insts.map((i) => ({ ...i }));
  const defs = new Map<number, number>();
  for (const i of out) for (const d of defsOf(i)) if (d.k === "v") defs.set(d.v, (defs.get(d.v) ?? 0) + 1);
  // Every use of every virtual register, by position.
  const usesAt = new Map<number, number[]>();
  out.forEach((i, n) => {
    for (const u of usesOf(i)) if (u.k === "v") usesAt.set(u.v, [...(usesAt.get(u.v) ?? []), n]);
  });
  out.forEach((copy, n) => {
    if (copy.op !== "mova" || copy.a?.k !== "p" || copy.a.op.kind !== "xr" || copy.dst?.k !== "v") return;
    const v = copy.dst.v, x = copy.a.op.n;
    if (defs.get(v) !== 1) return;
    const at = usesAt.get(v) ?? [];
    if (at.length === 0) return;
    const last = Math.max(...at);
    for (let k = n + 1; k <= last; k++) {
      const i = out[k]!;
      if (ENDS.has(i.op) || filled(i).includes(x)) return;
      // immw1 writes its own operand: it cannot become a transfer register.
      if (i.op === "immw1" && i.dst?.k === "v" && i.dst.v === v) return;
    }
    const xr: Loc = { k: "p", op: { kind: "xr", n: x } };
    const swap = (l: Loc | undefined): Loc | undefined => (l?.k === "v" && l.v === v ? xr : l);
    for (const k of at) {
      const i = out[k]!;
      i.a = swap(i.a);
      i.b = swap(i.b);
    }
  });
  return out;
}
