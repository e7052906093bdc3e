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

/** Transfer registers a read command fills. */
const xferDefs = (i: VInst): string[] => (i.op === "rd" ? (i.size === 3 ? [`$r${i.xfer}`, `$r${i.xfer! + 1}`] : [`$r${i.xfer}`]) : []);

/** Write transfer registers a write command sends: a move into them must stay behind it. */
const xferUses = (i: VInst): string[] => (i.size === 3 ? [`$w${i.xfer}`, `$w${i.xfer! + 1}`] : [`$w${i.xfer}`]);

export function schedule(insts: readonly VInst[]): VInst[] {
  const out = [...insts];
  for (let p = 0; p < out.length; p++) {
    if (out[p]!.op !== "wait") continue;
    const uses = new Set<string>(), defs = new Set<string>();
    let flagSet = false, flagRead = false;
    let waitMask = out[p]!.field ?? 0;
    const writes = new Set<string>();
    const moved: VInst[] = [];
    const kept: VInst[] = [out[p]!];
    let q = p + 1;
    for (; q < out.length && q < p + 1 + WINDOW; q++) {
      const i = out[q]!;
      const fmt = formatOf(i.op);
      // Later waits stay in place and keep their signals; later reads may go ahead of this
      // wait (reads commute with reads), other commands and control flow end the window.
      if (i.op === "wait") { kept.push(i); waitMask |= i.field ?? 0; continue; }
      // A write to another memory than a read's does not hold the read back (the IR names
      // every access's region); a write where the region is unknown, and any other command, does.
      if (i.op === "wr" && i.region !== "any") { kept.push(i); writes.add(i.region!); for (const k of [...usesOf(i).map(key), ...xferUses(i)]) uses.add(k); continue; }
      if (!MOVABLE.has(fmt) && i.op !== "rd") break;
      const u = usesOf(i).map(key), d = [...defsOf(i).map(key), ...xferDefs(i)];
      const readsXfer = usesOf(i).some((l) => l.k === "p" && l.op.kind === "xr");
      const ok = !readsXfer
        && !u.some((k) => defs.has(k))
        && !d.some((k) => uses.has(k) || defs.has(k))
        && !(readsFlags(i) && flagSet)
        && !(setsFlags(i) && (flagSet || flagRead))
        && !(i.op === "rd" && (((1 << i.sig!) & waitMask) !== 0 || i.region === "any" || writes.has(i.region!)));
      if (ok) { moved.push(i); continue; }
      kept.push(i);
      for (const k of u) uses.add(k);
      for (const k of d) defs.add(k);
      if (i.op === "rd") waitMask |= 1 << i.sig!;
      if (setsFlags(i)) flagSet = true;
      if (readsFlags(i)) flagRead = true;
    }
    if (moved.length === 0) continue;
    out.splice(p, q - p, ...moved, ...kept);
    p += moved.length;
  }
  return out;
}
