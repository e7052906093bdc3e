// Scheduling: a memory or lookup command is issued where isel put it, and its `wait` is
// pushed down past independent work, so that the thread computes while the command is in
// flight and sleeps only when it needs the answer (or never, when the latency is covered).
// Works on VCode before allocation, within a basic block.
//
// Needs: isel's shape: a command, then its wait, then the moves out of the transfer
// registers. Keeps: every data dependence (registers, transfer registers, the condition
// codes) and the order of commands, waits and branches among themselves.
import { operandText } from "../isa.js";
import { defsOf, formatOf, readsFlags, setsFlags, usesOf, type Loc, type VInst } from "./vcode.js";

/** Words that may move above a wait: pure datapath work. */
const MOVABLE = new Set(["alu", "mov", "imm", "sh", "dsh", "un"]);

const key = (l: Loc): string => (l.k === "v" ? `v${l.v}` : operandText(l.op));

/** How far ahead of a wait the scheduler looks for work to pull above it. */
const WINDOW = 48;

export function schedule(insts: readonly VInst[]): VInst[] {
  const out = [...insts];
  for (let p = 0; p < out.length; p++) {
    if (out[p]!.op !== "wait") continue;
    const uses = new Set<string>(), defs = new Set<string>();
    let flagSet = false, flagRead = false;
    const moved: VInst[] = [];
    const kept: VInst[] = [out[p]!];
    let q = p + 1;
    for (; q < out.length && q < p + 1 + WINDOW; q++) {
      const i = out[q]!;
      const fmt = formatOf(i.op);
      if (!MOVABLE.has(fmt)) break;
      const u = usesOf(i).map(key), d = defsOf(i).map(key);
      const readsXfer = usesOf(i).some((l) => l.k === "p" && l.op.kind === "xr");
      const ok = !readsXfer
        && !u.some((k) => defs.has(k))
        && !d.some((k) => uses.has(k) || defs.has(k))
        && !(readsFlags(i) && flagSet)
        && !(setsFlags(i) && (flagSet || flagRead));
      if (ok) { moved.push(i); continue; }
      kept.push(i);
      for (const k of u) uses.add(k);
      for (const k of d) defs.add(k);
      if (setsFlags(i)) flagSet = true;
      if (readsFlags(i)) flagRead = true;
    }
    if (moved.length === 0) continue;
    out.splice(p, q - p, ...moved, ...kept);
    p += moved.length;
  }
  return out;
}
