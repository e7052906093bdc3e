// The abstract machine state at one instruction: the call frames (registers and stack)
// and the proved length of the raw program type's input memory. States are values:
// transfer functions clone before they change one. Containment (`stateWithin`) is what
// pruning asks: a state contained in one already explored to the end is safe.
import type { MapDef } from "../runtime/maps/def.js";
import { STACK_SIZE } from "../ir/bpf/opcodes.js";
import { scalarWithin, type Scalar } from "./scalar.js";
import { formatReg, NOT_INIT, type Reg } from "./types.js";

/** What one stack byte holds. */
export const SLOT = { INVALID: 0, MISC: 1, SPILL: 2 } as const;

export interface Frame {
  regs: Reg[];
  /** One entry per byte, fp-512 at index 0: SLOT.*. */
  bytes: Uint8Array;
  /** Spilled registers by 8-byte slot (fp-512 is slot 0); set where the 8 bytes are SLOT.SPILL. */
  spills: (Reg | undefined)[];
  /** Slot index the caller continues at when this frame exits (-1 for the entry frame). */
  returnTo: number;
  /** First instruction of the function this frame runs. */
  entry: number;
}

export interface State {
  frames: Frame[];
  /** Raw programs: the input memory is proved at least this long. */
  memLen: bigint;
  /** Next fresh id for pointer and scalar links. */
  nextId: number;
}

export function newFrame(entry: number, returnTo: number): Frame {
  const regs: Reg[] = Array.from({ length: 11 }, () => NOT_INIT);
  return { regs, bytes: new Uint8Array(STACK_SIZE), spills: new Array<Reg | undefined>(STACK_SIZE / 8).fill(undefined), returnTo, entry };
}

export function cloneState(s: State): State {
  return {
    frames: s.frames.map((f) => ({ regs: f.regs.slice(), bytes: f.bytes.slice(), spills: f.spills.slice(), returnTo: f.returnTo, entry: f.entry })),
    memLen: s.memLen,
    nextId: s.nextId,
  };
}

export const top = (s: State): Frame => s.frames[s.frames.length - 1]!;

/** Every register and spilled slot of every frame, for id-linked updates. */
export function mapAllRegs(s: State, fn: (r: Reg) => Reg): void {
  for (const f of s.frames) {
    for (let i = 0; i < f.regs.length; i++) f.regs[i] = fn(f.regs[i]!);
    for (let i = 0; i < f.spills.length; i++) {
      const r = f.spills[i];
      if (r) f.spills[i] = fn(r);
    }
  }
}

class IdMap {
  private readonly fwd = new Map<number, number>();
  private readonly back = new Map<number, number>();
  /** Old id links must be matched by cur id links, one to one. */
  check(old: number, cur: number): boolean {
    if (old === 0) return true;
    if (cur === 0) return false;
    const f = this.fwd.get(old);
    const b = this.back.get(cur);
    if (f === undefined && b === undefined) {
      this.fwd.set(old, cur);
      this.back.set(cur, old);
      return true;
    }
    return f === cur && b === old;
  }
}

/** regsafe(): every run from `cur` behaves as some run from `old` as far as safety goes. */
function regWithin(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.k === "not_init") return true;
  if (cur.k !== old.k) return false;
  switch (old.k) {
    case "scalar": {
      const c = cur as typeof old;
      return scalarWithin(old.s, c.s) && ids.check(old.id, c.id);
    }
    case "ctx":
      return old.off === (cur as typeof old).off;
    case "stack": {
      const c = cur as typeof old;
      return old.frame === c.frame && old.off === c.off;
    }
    case "pkt":
    case "pkt_meta": {
      const c = cur as typeof old;
      return old.off === c.off && c.range >= old.range && scalarWithin(old.v, c.v) && ids.check(old.id, c.id);
    }
    case "pkt_end":
      return true;
    case "map_ptr":
      return old.map === (cur as typeof old).map;
    case "map_value":
    case "mem": {
      const c = cur as typeof old;
      return (old.k === "mem" || old.map === (c as { map: number }).map) && old.off === c.off && scalarWithin(old.v, c.v);
    }
    case "map_value_or_null": {
      const c = cur as typeof old;
      return old.map === c.map && old.off === c.off && scalarWithin(old.v, c.v) && ids.check(old.id, c.id);
    }
  }
}

function frameWithin(old: Frame, cur: Frame, ids: IdMap): boolean {
  if (old.returnTo !== cur.returnTo || old.entry !== cur.entry) return false;
  for (let i = 0; i < old.regs.length; i++) if (!regWithin(old.regs[i]!, cur.regs[i]!, ids)) return false;
  for (let slot = 0; slot < old.spills.length; slot++) {
    const base = slot * 8;
    const o = old.spills[slot];
    const c = cur.spills[slot];
    if (o) {
      if (!c || !regWithin(o, c, ids)) return false;
      continue;
    }
    for (let b = base; b < base + 8; b++) {
      const ob = old.bytes[b]!;
      if (ob === SLOT.INVALID) continue;
      const cb = cur.bytes[b]!;
      if (cb === SLOT.INVALID) return false;
      // old: plain bytes; cur: a spilled register is only as good if reading it gives a scalar.
      if (cb === SLOT.SPILL && c && c.k !== "scalar") return false;
    }
  }
  return true;
}

/** Every concrete state `cur` stands for is one that `old` stands for (old has been explored). */
export function stateWithin(old: State, cur: State): boolean {
  if (old.frames.length !== cur.frames.length || cur.memLen < old.memLen) return false;
  const ids = new IdMap();
  return old.frames.every((f, i) => frameWithin(f, cur.frames[i]!, ids));
}

/** A register as a short string: equal strings for equal registers (bigints in decimal). */
export function regKey(r: Reg): string {
  switch (r.k) {
    case "not_init":
    case "pkt_end":
      return r.k;
    case "scalar":
      return `s${r.id}:${scalarKey(r.s)}`;
    case "ctx":
      return `c${r.off}`;
    case "stack":
      return `f${r.frame}:${r.off}`;
    case "map_ptr":
      return `M${r.map}`;
    case "pkt":
    case "pkt_meta":
      return `${r.k}${r.id}:${r.off}:${r.range}:${scalarKey(r.v)}`;
    case "map_value":
      return `v${r.map}:${r.off}:${scalarKey(r.v)}`;
    case "map_value_or_null":
      return `n${r.map}:${r.id}:${r.off}:${scalarKey(r.v)}`;
    case "mem":
      return `m${r.off}:${scalarKey(r.v)}`;
  }
}

const scalarKey = (x: Scalar): string => `${x.t.value},${x.t.mask},${x.umin},${x.umax},${x.smin},${x.smax}`;

/** A key equal for equal states (stateEqual), for finding loop candidates without a scan. */
export function stateKey(s: State): string {
  const parts: string[] = [String(s.memLen)];
  for (const f of s.frames) {
    parts.push(`|${f.returnTo}`);
    for (const r of f.regs) parts.push(regKey(r));
    let h = 0x811c9dc5;
    for (let i = 0; i < f.bytes.length; i++) h = Math.imul(h ^ f.bytes[i]!, 16777619) >>> 0;
    parts.push(String(h));
    f.spills.forEach((r, i) => {
      if (r) parts.push(`${i}=${regKey(r)}`);
    });
  }
  return parts.join(" ");
}

const regEqual = (a: Reg, b: Reg): boolean => regKey(a) === regKey(b);

/** The same abstract state: a loop back to it can repeat forever. */
export function stateEqual(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length || a.memLen !== b.memLen) return false;
  return a.frames.every((fa, i) => {
    const fb = b.frames[i]!;
    if (fa.returnTo !== fb.returnTo) return false;
    if (!fa.regs.every((r, j) => regEqual(r, fb.regs[j]!))) return false;
    for (let j = 0; j < fa.bytes.length; j++) if (fa.bytes[j] !== fb.bytes[j]) return false;
    return fa.spills.every((r, j) => {
      const o = fb.spills[j];
      return r === undefined ? o === undefined : o !== undefined && regEqual(r, o);
    });
  });
}

/** `R1=ctx() R2=pkt(off=14,r=14) R10=fp0`, plus the initialised stack of the current frame. */
export function formatRegs(s: State, maps: readonly MapDef[]): string {
  const f = top(s);
  const parts: string[] = [];
  f.regs.forEach((r, i) => {
    if (r.k !== "not_init") parts.push(`R${i}=${formatReg(r, maps)}`);
  });
  for (let slot = 0; slot < f.spills.length; slot++) {
    const off = slot * 8 - 512;
    const sp = f.spills[slot];
    if (sp) {
      parts.push(`fp${off}=${formatReg(sp, maps)}`);
      continue;
    }
    const bytes = f.bytes.subarray(slot * 8, slot * 8 + 8);
    if (bytes.some((b) => b !== SLOT.INVALID)) parts.push(`fp${off}=${[...bytes].reverse().map((b) => (b === SLOT.MISC ? "m" : "?")).join("")}`);
  }
  if (s.memLen > 0n) parts.push(`len>=${s.memLen}`);
  return parts.join(" ");
}
