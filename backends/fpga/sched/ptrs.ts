// What the scheduler knows statically about XDP pointers, slot by slot (forward
// must-dataflow over the CFG to a fixed point): which registers hold the xdp_md pointer,
// which hold data + k (k a constant) and data_end, how many bytes past data a bounds
// check has proven to lie before data_end, and which hold a map handle or a map value + k
// (maybe NULL until a NULL check). The fusions (fuse.ts) use it to turn ctx loads into
// ctx_read slots and to combine byte loads and copies only where no original access could fault.
// Every doubt errs towards "not known":
//   - r1 is the ctx pointer only at the entry of an XDP entry program (not in subprograms,
//     whose entries start with nothing known);
//   - data/data_end come from 4-byte ctx loads at offsets 0 and 4; a call clobbers r0-r5;
//     a local call, an unknown helper or one that moves the packet (xdp_adjust_head/meta/
//     tail: changesPacket) forgets every packet pointer and the proven range; r6-r9 keep ctx;
//   - a map lookup's r0 is a value of the map whose handle r1 held, NULL-checked by
//     `jeq/jne r, 0` on it or a copy (the lookup's slot names the copies); update and
//     delete (an element may go), local calls and unknown helpers forget map values;
//   - the ctx pointer is followed through 8-byte spills to the stack (stxdw [r10+o], ctx;
//     ldxdw r, [r10+o]), forgotten when a store may overwrite the slot; other pointers are
//     not followed through the stack; any other write forgets the register.
import { branchTarget, formOf, isLddw, type Insn } from "../../../ir/bpf/insn.js";
import { HELPER_SIGS_BY_ID } from "../../../verifier/helpers.js";
import { SIZE_BYTES } from "../../../ir/bpf/opcodes.js";

export interface PtrFacts {
  /** Registers (bitmask) holding the xdp_md pointer. */
  readonly ctx: number;
  /** Registers (bitmask) holding data_end. */
  readonly end: number;
  /** Per register: k when it holds data + k. */
  readonly pkt: readonly (number | undefined)[];
  /** Bytes [data, data + range) are proven to lie before data_end (0: nothing proven). */
  readonly range: number;
  /** Per register: the handle of map `map` (lddw src 1). */
  readonly handle: readonly (number | undefined)[];
  /** Per register: a value of map `map` + k from the lookup at slot `id`, maybe NULL until a check. */
  readonly val: readonly (MapValue | undefined)[];
  /** Stack offsets (from r10) of 8-byte slots holding the ctx pointer (a spill). */
  readonly ctxSpills: readonly number[];
}

export interface MapValue {
  readonly map: number;
  readonly k: number;
  readonly id: number;
  readonly nullable: boolean;
}

const NONE: PtrFacts = { ctx: 0, end: 0, pkt: [], range: 0, handle: [], val: [], ctxSpills: [] };
const sameVal = (a: MapValue | undefined, b: MapValue | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.map === b.map && a.k === b.k && a.id === b.id && a.nullable === b.nullable);
const bit = (r: number): number => 1 << r;
const CALL_CLOBBERS = 0x3f; // r0-r5

function meet(a: PtrFacts, b: PtrFacts): PtrFacts {
  const pkt: (number | undefined)[] = [];
  const handle: (number | undefined)[] = [];
  const val: (MapValue | undefined)[] = [];
  for (let r = 0; r < 11; r++) {
    pkt.push(a.pkt[r] !== undefined && a.pkt[r] === b.pkt[r] ? a.pkt[r] : undefined);
    handle.push(a.handle[r] !== undefined && a.handle[r] === b.handle[r] ? a.handle[r] : undefined);
    val.push(sameVal(a.val[r], b.val[r]) ? a.val[r] : undefined);
  }
  return { ctx: a.ctx & b.ctx, end: a.end & b.end, pkt, range: Math.min(a.range, b.range), handle, val, ctxSpills: a.ctxSpills.filter((o) => b.ctxSpills.includes(o)) };
}

function same(a: PtrFacts, b: PtrFacts): boolean {
  if (a.ctx !== b.ctx || a.end !== b.end || a.range !== b.range) return false;
  if (a.ctxSpills.length !== b.ctxSpills.length || a.ctxSpills.some((o) => !b.ctxSpills.includes(o))) return false;
  for (let r = 0; r < 11; r++) if (a.pkt[r] !== b.pkt[r] || a.handle[r] !== b.handle[r] || !sameVal(a.val[r], b.val[r])) return false;
  return true;
}

/** f with register r forgotten (and, when `value` is given, set to it). */
function write(f: PtrFacts, r: number, value?: { ctx?: boolean; end?: boolean; pkt?: number; handle?: number; val?: MapValue }): PtrFacts {
  const pkt = [...f.pkt];
  pkt[r] = value?.pkt;
  const handle = [...f.handle];
  handle[r] = value?.handle;
  const val = [...f.val];
  val[r] = value?.val;
  return {
    ctx: (f.ctx & ~bit(r)) | (value?.ctx ? bit(r) : 0),
    end: (f.end & ~bit(r)) | (value?.end ? bit(r) : 0),
    pkt, range: f.range, handle, val, ctxSpills: f.ctxSpills,
  };
}

/**
 * A store of `bytes` at [base + off]: a ctx spill when it is an 8-byte store of the ctx
 * pointer through r10; any other store through r10 forgets the spills it overlaps, and a
 * store through a register that may point into the stack (not the packet, not a map
 * value) forgets them all.
 */
function stored(f: PtrFacts, base: number, off: number, bytes: number, ctxValue: boolean): PtrFacts {
  if (base !== 10) return f.pkt[base] !== undefined || f.val[base] !== undefined ? f : { ...f, ctxSpills: [] };
  const kept = f.ctxSpills.filter((o) => o + 8 <= off || off + bytes <= o);
  return { ...f, ctxSpills: ctxValue && bytes === 8 ? [...kept, off] : kept };
}

/** A NULL check `jeq/jne r, 0` (64-bit): on its non-NULL edge every copy of the lookup's result is a value. */
function nullChecked(f: PtrFacts, s: Insn, taken: boolean): PtrFacts {
  const v = f.val[s.dst];
  if (!v?.nullable || s.imm !== 0 || (s.opcode !== 0x15 && s.opcode !== 0x55)) return f;
  if ((s.opcode === 0x15) === taken) return f; // the NULL edge
  return { ...f, val: f.val.map((x) => (x && x.id === v.id ? { ...x, nullable: false } : x)) };
}

/** The bound a taken (`taken`) or fall-through edge of `jCC a, b` proves: data + k <= data_end. */
function proven(f: PtrFacts, s: Insn, taken: boolean): number {
  if ((s.opcode & 0x0f) !== 0x0d) return 0; // JMP (64-bit) with a register operand
  const code = s.opcode >> 4;
  const ka = f.pkt[s.dst];
  const kb = f.pkt[s.src];
  // pkt(k) OP end: jgt/jge fall through, jle/jlt taken  =>  data + k <= data_end
  if (ka !== undefined && (f.end & bit(s.src)) !== 0) {
    if (((code === 0x2 || code === 0x3) && !taken) || ((code === 0xb || code === 0xa) && taken)) return ka;
  }
  // end OP pkt(k): jlt/jle fall through, jge/jgt taken
  if (kb !== undefined && (f.end & bit(s.dst)) !== 0) {
    if (((code === 0xa || code === 0xb) && !taken) || ((code === 0x3 || code === 0x2) && taken)) return kb;
  }
  return 0;
}

/** The facts after slot `at` along the edge to `to` (the next slot or a jump target). */
function transfer(slots: readonly Insn[], at: number, f: PtrFacts, taken: boolean): PtrFacts {
  const s = slots[at]!;
  const form = formOf(s);
  if (!form) return NONE;
  const cls = s.opcode & 7;
  const code = s.opcode >> 4;
  switch (form.shape) {
    case "ldx":
      if (s.opcode === 0x79 && s.src === 10 && f.ctxSpills.includes(s.off)) return write(f, s.dst, { ctx: true });
      if (s.opcode === 0x61 && (f.ctx & bit(s.src)) !== 0 && s.off === 0) return write(f, s.dst, { pkt: 0 });
      if (s.opcode === 0x61 && (f.ctx & bit(s.src)) !== 0 && s.off === 4) return write(f, s.dst, { end: true });
      return write(f, s.dst);
    case "alu_imm":
      if (cls === 7 && (code === 0x0 || code === 0x1) && f.pkt[s.dst] !== undefined) {
        return write(f, s.dst, { pkt: f.pkt[s.dst]! + (code === 0x0 ? s.imm : -s.imm) });
      }
      if (cls === 7 && (code === 0x0 || code === 0x1) && f.val[s.dst] !== undefined) {
        const v = f.val[s.dst]!;
        return write(f, s.dst, { val: { ...v, k: v.k + (code === 0x0 ? s.imm : -s.imm) } });
      }
      return write(f, s.dst);
    case "alu_reg":
      if (s.opcode === 0xbf && s.off === 0) {
        return write(f, s.dst, { ctx: (f.ctx & bit(s.src)) !== 0, end: (f.end & bit(s.src)) !== 0, pkt: f.pkt[s.src], handle: f.handle[s.src], val: f.val[s.src] });
      }
      return write(f, s.dst);
    case "lddw":
      return write(f, s.dst, s.src === 1 ? { handle: s.imm } : undefined);
    case "unary":
    case "end":
    case "movsx":
      return write(f, s.dst);
    case "atomic": {
      const g = stored(f, s.dst, s.off, SIZE_BYTES[s.opcode & 0x18] ?? 8, false);
      const cmpxchg = (s.imm & 0xff) === 0xf1;
      if (cmpxchg) return write(g, 0);
      return (s.imm & 1) === 1 ? write(g, s.src) : g;
    }
    case "st":
      return stored(f, s.dst, s.off, SIZE_BYTES[s.opcode & 0x18] ?? 8, false);
    case "stx":
      return stored(f, s.dst, s.off, SIZE_BYTES[s.opcode & 0x18] ?? 8, (f.ctx & bit(s.src)) !== 0);
    case "ja":
    case "ja32":
      return f;
    case "jmp_imm":
      return nullChecked(f, s, taken);
    case "jmp_reg": {
      const k = proven(f, s, taken);
      return k > f.range ? { ...f, range: k } : f;
    }
    case "call": {
      // a helper that does not move the packet (verifier/helpers.ts changesPacket) keeps
      // the pointers in r6-r9 and the proven range, as the kernel's verifier does
      const sig = s.src === 0 ? HELPER_SIGS_BY_ID.get(s.imm) : undefined;
      const kept = (r: number): boolean => r > 5;
      // map values stay valid across helpers but update/delete (an element may go)
      const val = sig && s.imm !== 2 && s.imm !== 3 ? f.val.map((v, r) => (kept(r) && v?.id !== at ? v : undefined)) : [];
      const handle = f.handle.map((m, r) => (kept(r) ? m : undefined));
      if (s.src === 0 && s.imm === 1 && f.handle[1] !== undefined) val[0] = { map: f.handle[1], k: 0, id: at, nullable: true };
      // the known helpers only read memory through their arguments: spills stay; a local
      // call or an unknown helper may write the caller's stack through a pointer
      const ctxSpills = sig ? f.ctxSpills : [];
      if (sig && !sig.changesPacket) {
        const pkt = f.pkt.map((k, r) => (kept(r) ? k : undefined));
        return { ctx: f.ctx & ~CALL_CLOBBERS, end: f.end & ~CALL_CLOBBERS, pkt, range: f.range, handle, val, ctxSpills };
      }
      return { ctx: f.ctx & ~CALL_CLOBBERS, end: 0, pkt: [], range: 0, handle, val, ctxSpills };
    }
    case "callx":
      return { ...NONE, ctx: f.ctx & ~CALL_CLOBBERS };
    default:
      return NONE;
  }
}

/**
 * The facts on entry to every slot (undefined: unreachable from an entry; an lddw's
 * second slot: undefined). `ctxAtEntry`: the program is an XDP entry program (r1 = ctx).
 */
export function pointerFacts(slots: readonly Insn[], ctxAtEntry: boolean): (PtrFacts | undefined)[] {
  const facts: (PtrFacts | undefined)[] = new Array<PtrFacts | undefined>(slots.length).fill(undefined);
  const work: number[] = [];
  const reach = (to: number, f: PtrFacts): void => {
    if (to < 0 || to >= slots.length) return;
    const old = facts[to];
    const next = old ? meet(old, f) : f;
    if (old && same(old, next)) return;
    facts[to] = next;
    work.push(to);
  };
  reach(0, ctxAtEntry ? { ...NONE, ctx: bit(1) } : NONE);
  // subprograms (local call targets) start with nothing known
  slots.forEach((s, at) => {
    if (formOf(s)?.shape === "call" && s.src === 1) reach(at + 1 + s.imm, NONE);
  });
  while (work.length > 0) {
    const at = work.pop()!;
    const f = facts[at]!;
    const s = slots[at]!;
    const form = formOf(s);
    const next = at + (isLddw(s) ? 2 : 1);
    if (!form) continue;
    if (form.shape === "exit") continue;
    if (form.shape === "ja" || form.shape === "ja32") {
      reach(branchTarget(at, s, form)!, f);
      continue;
    }
    if (form.shape === "jmp_imm" || form.shape === "jmp_reg") {
      reach(branchTarget(at, s, form)!, transfer(slots, at, f, true));
      reach(next, transfer(slots, at, f, false));
      continue;
    }
    reach(next, transfer(slots, at, f, false));
  }
  return facts;
}

/** Whether `bytes` bytes at [r + off] lie inside a non-NULL value of a map whose values have valueSize(map) bytes. */
export function provenValueAccess(f: PtrFacts | undefined, r: number, off: number, bytes: number, valueSize: (map: number) => number | undefined): boolean {
  const v = f?.val[r];
  if (!v || v.nullable) return false;
  const size = valueSize(v.map);
  return size !== undefined && v.k + off >= 0 && v.k + off + bytes <= size;
}

/** Whether `bytes` bytes at [r + off] lie inside the proven packet range at a slot with facts f. */
export function provenPacketAccess(f: PtrFacts | undefined, r: number, off: number, bytes: number): boolean {
  const k = f?.pkt[r];
  if (f === undefined || k === undefined) return false;
  return k + off >= 0 && k + off + bytes <= f.range;
}
