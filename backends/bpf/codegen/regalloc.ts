// Register allocation for IR → BPF: SSA liveness over the block order, one conservative
// live interval per value, and linear scan (Poletto & Sarkar) onto BPF registers.
// r0 and r5 are kept as scratch registers for instruction selection and parallel moves;
// values live across a call get callee-saved r6-r9 (RFC 9669 §2.1) or a stack slot.
import { successors, usesOf, type Func } from "../../../ir/core/ir.js";

/**
 * Where a value lives: a register, a spill slot, nowhere (never read), or nowhere because
 * it is recomputed at each use (`remat`: the frame pointer plus a constant).
 */
export type Location = { readonly reg: number } | { readonly slot: number } | { readonly dead: true } | { readonly remat: bigint };

/** Registers values may live in: callee-saved first, so that long-lived values take them. */
const CALLEE_SAVED = [6, 7, 8, 9];
const CALLER_SAVED = [1, 2, 3, 4];
export const SCRATCH = { a: 0, b: 5 } as const;

/** Operations that become BPF calls and so clobber r0-r5 (map operations are helper calls). */
const CALL_OPS = (op: string) => op === "call" || op === "call.helper" || op.startsWith("map.") || op === "table.apply";

export interface Allocation {
  readonly loc: ReadonlyMap<number, Location>;
  /** Number of 8-byte spill slots used. */
  readonly slots: number;
}

interface Interval {
  id: number;
  start: number;
  end: number;
  crossesCall: boolean;
}

/** Positions: each block has a start position, each instruction one, the terminator one. */
export function allocate(f: Func, fixed: ReadonlyMap<number, Location> = new Map()): Allocation {
  const pos = new Map<string, { start: number; end: number }>();
  const defPos = new Map<number, number>();
  const usePos = new Map<number, number[]>();
  const callPos: number[] = [];
  let p = 0;
  for (const b of f.blocks) {
    const start = p++;
    for (const prm of b.params) defPos.set(prm.id, start);
    for (const i of b.insts) {
      const at = p++;
      for (const u of usesOf(i)) (usePos.get(u) ?? usePos.set(u, []).get(u)!).push(at);
      if (i.result !== undefined) defPos.set(i.result, at);
      if (CALL_OPS(i.op)) callPos.push(at);
    }
    const end = p++;
    for (const u of usesOf(b.term)) (usePos.get(u) ?? usePos.set(u, []).get(u)!).push(end);
    pos.set(b.name, { start, end });
  }
  // Liveness: live-in(b) = uses before defs in b, plus live-out minus defs.
  const liveIn = new Map<string, Set<number>>(f.blocks.map((b) => [b.name, new Set()]));
  const liveOut = new Map<string, Set<number>>(f.blocks.map((b) => [b.name, new Set()]));
  const defsOf = new Map(f.blocks.map((b) => [b.name, new Set([...b.params.map((x) => x.id), ...b.insts.flatMap((i) => (i.result !== undefined ? [i.result] : []))])]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of [...f.blocks].reverse()) {
      const out = liveOut.get(b.name)!;
      for (const s of successors(b.term)) {
        for (const v of liveIn.get(s.block)!) if (!out.has(v)) (out.add(v), (changed = true));
      }
      const inSet = liveIn.get(b.name)!;
      const defs = defsOf.get(b.name)!;
      const uses = [...b.insts.flatMap(usesOf), ...usesOf(b.term)];
      for (const v of [...uses, ...out]) if (!defs.has(v) && !inSet.has(v)) (inSet.add(v), (changed = true));
    }
  }
  const intervals = new Map<number, Interval>();
  const touch = (id: number, at: number) => {
    const iv = intervals.get(id) ?? { id, start: at, end: at, crossesCall: false };
    iv.start = Math.min(iv.start, at);
    iv.end = Math.max(iv.end, at);
    intervals.set(id, iv);
  };
  for (const [id, at] of defPos) touch(id, at);
  for (const [id, ats] of usePos) for (const at of ats) touch(id, at);
  for (const b of f.blocks) {
    const { start, end } = pos.get(b.name)!;
    for (const v of liveIn.get(b.name)!) touch(v, start);
    for (const v of liveOut.get(b.name)!) touch(v, end);
  }
  for (const iv of intervals.values()) iv.crossesCall = callPos.some((c) => c > iv.start && c < iv.end);

  // Two-address hints: a result prefers the register of its first operand when that operand
  // dies at the instruction (`a = a + b` needs no move).
  const hint = new Map<number, number>();
  for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined && i.args[0]?.kind === "value") hint.set(i.result, i.args[0].id);
  const loc = new Map<number, Location>(fixed);
  for (const [id] of defPos) if (!usePos.has(id) && !loc.has(id)) loc.set(id, { dead: true });
  const order = [...intervals.values()].filter((iv) => !loc.has(iv.id)).sort((a, b) => a.start - b.start || a.id - b.id);
  const active: Interval[] = [];
  const free = new Set([...CALLEE_SAVED, ...CALLER_SAVED]);
  let slots = 0;
  const spill = (iv: Interval) => loc.set(iv.id, { slot: slots++ });
  for (const iv of order) {
    // An interval ending where this one starts frees its register: instruction selection
    // reads every operand before it writes the result.
    for (const a of [...active]) {
      if (a.end <= iv.start) {
        active.splice(active.indexOf(a), 1);
        free.add((loc.get(a.id) as { reg: number }).reg);
      }
    }
    const pool = iv.crossesCall ? CALLEE_SAVED : [...CALLER_SAVED, ...CALLEE_SAVED];
    const hinted = loc.get(hint.get(iv.id) ?? -1);
    const preferred = hinted && "reg" in hinted && free.has(hinted.reg) && pool.includes(hinted.reg) ? hinted.reg : undefined;
    const reg = preferred ?? pool.find((r) => free.has(r));
    if (reg !== undefined) {
      free.delete(reg);
      loc.set(iv.id, { reg });
      active.push(iv);
      continue;
    }
    // Spill whichever of the candidates ends last (it blocks the register longest).
    const victim = active.filter((a) => pool.includes((loc.get(a.id) as { reg: number }).reg)).sort((a, b) => b.end - a.end)[0];
    if (victim && victim.end > iv.end) {
      const reg2 = (loc.get(victim.id) as { reg: number }).reg;
      spill(victim);
      active.splice(active.indexOf(victim), 1);
      loc.set(iv.id, { reg: reg2 });
      active.push(iv);
    } else spill(iv);
  }
  return { loc, slots };
}
