// What the native translators may access without a bounds check, found by a forward
// dataflow over the program's slots (the verifier's reasoning in its simplest form):
//
//   - xdp_md field loads: a 4-byte load at a field offset through a register that
//     certainly holds the context, as the kernel's verifier rewrites them
//     (convert_ctx_access). The runtime's xdp_md holds the same u32 values as the
//     interpreter's (its packet pointers live below 4 GiB), so a plain load is exact.
//   - packet accesses the program has already bounds-checked itself: `data` and
//     `data_end` come from those loads, `data + K` from register copies and constant adds,
//     and `jgt data+K, data_end` (fall-through), `jle data+K, data_end` (taken),
//     `jlt data_end, data+K` (fall-through) and `jge data_end, data+K` (taken) prove
//     [data, data+K) inside the packet; an access [data+o, data+o+size) with 0 <= o and
//     o+size <= K then needs no check.
//
// Facts are per register; paths merge by keeping the facts both sides have (the proven K
// is the smaller one). A helper that moves the packet (adjust_head/meta/tail) starts a new
// epoch, in which older data/data_end facts mean nothing; a helper call kills r0-r5 (RFC
// 9669 §2.1); a bpf-to-bpf call forgets everything, and a subprogram starts knowing nothing.
import { formOf, type Insn } from "../../ir/bpf/insn.js";
import { XDP_MD } from "../../runtime/interp/xdp.js";

const FIELD_OFFSETS: ReadonlySet<number> = new Set(Object.entries(XDP_MD).filter(([k]) => k !== "size").map(([, v]) => v));
/** Helpers that move the packet (the kernel's bpf_helper_changes_pkt_data). */
const MOVES_PACKET: ReadonlySet<number> = new Set([44, 54, 65]);

type Fact = { readonly kind: "ctx" } | { readonly kind: "data" | "end"; readonly epoch: number; readonly off: number };

interface State {
  readonly regs: ReadonlyMap<number, Fact>;
  /** Epoch -> the K of [data, data+K) proven inside the packet. */
  readonly safe: ReadonlyMap<number, number>;
  readonly epoch: number;
}

export interface NativeFacts {
  /** Slots that load an xdp_md field directly. */
  readonly ctxLoads: ReadonlySet<number>;
  /** Slots whose packet access the program's own check covers. */
  readonly proven: ReadonlySet<number>;
}

const sameFact = (a: Fact, b: Fact): boolean => a.kind === b.kind && (a.kind === "ctx" || (b.kind !== "ctx" && a.epoch === b.epoch && a.off === b.off));

function meet(a: State, b: State): State {
  const regs = new Map<number, Fact>();
  for (const [r, f] of a.regs) {
    const g = b.regs.get(r);
    if (g && sameFact(f, g)) regs.set(r, f);
  }
  const safe = new Map<number, number>();
  for (const [e, k] of a.safe) {
    const l = b.safe.get(e);
    if (l !== undefined) safe.set(e, Math.min(k, l));
  }
  return { regs, safe, epoch: a.epoch === b.epoch ? a.epoch : -2 };
}

function sameState(a: State, b: State): boolean {
  if (a.epoch !== b.epoch || a.regs.size !== b.regs.size || a.safe.size !== b.safe.size) return false;
  for (const [r, f] of a.regs) {
    const g = b.regs.get(r);
    if (!g || !sameFact(f, g)) return false;
  }
  for (const [e, k] of a.safe) if (b.safe.get(e) !== k) return false;
  return true;
}

const EMPTY: State = { regs: new Map(), safe: new Map(), epoch: -1 };

const accessSize = (opcode: number): number => [4, 2, 1, 8][(opcode >> 3) & 3]!;

function isCtxLoad(s: Insn, st: State): boolean {
  return (s.opcode & 0xe0) === 0x60 && (s.opcode & 0x18) === 0 && st.regs.get(s.src)?.kind === "ctx" && FIELD_OFFSETS.has(s.off);
}

function isProven(base: number, off: number, size: number, st: State): boolean {
  const r = st.regs.get(base);
  return r !== undefined && r.kind === "data" && r.off + off >= 0 && r.off + off + size <= (st.safe.get(r.epoch) ?? 0);
}

/** The state after slot i: [fall-through state, taken-jump state]. */
function transfer(i: number, s: Insn, st: State): [State, State] {
  const f = formOf(s)!;
  const regs = new Map(st.regs);
  let safe: ReadonlyMap<number, number> = st.safe;
  let epoch = st.epoch;
  const out = (): State => ({ regs, safe, epoch });
  switch (f.shape) {
    case "ldx": {
      const ctx = isCtxLoad(s, st);
      regs.delete(s.dst);
      if (ctx && (s.off === XDP_MD.data || s.off === XDP_MD.data_end)) regs.set(s.dst, { kind: s.off === XDP_MD.data ? "data" : "end", epoch, off: 0 });
      break;
    }
    case "alu_reg": {
      const from = st.regs.get(s.src);
      if (s.opcode === 0xbf && s.off === 0 && from) regs.set(s.dst, from);
      else regs.delete(s.dst);
      break;
    }
    case "alu_imm": {
      const r = st.regs.get(s.dst);
      // A 64-bit add or sub of a constant keeps a packet pointer a packet pointer.
      if (r?.kind === "data" && (s.opcode === 0x07 || s.opcode === 0x17)) regs.set(s.dst, { ...r, off: r.off + (s.opcode === 0x07 ? s.imm : -s.imm) });
      else regs.delete(s.dst);
      break;
    }
    case "unary":
    case "movsx":
    case "end":
    case "lddw":
      regs.delete(s.dst);
      break;
    case "atomic":
      regs.delete(s.src);
      regs.delete(0);
      break;
    case "call":
    case "callx":
      for (const r of [0, 1, 2, 3, 4, 5]) regs.delete(r);
      if (s.src !== 0 || f.shape === "callx") return [EMPTY_AFTER_CALL(i), EMPTY_AFTER_CALL(i)];
      if (MOVES_PACKET.has(s.imm)) {
        // Packet pointers die; the context stays the context.
        for (const [r, fact] of st.regs) if (fact.kind !== "ctx") regs.delete(r);
        safe = new Map();
        epoch = i;
      }
      break;
    case "jmp_reg": {
      // 64-bit compares of data+K with data_end: which edge proves data+K <= data_end.
      const a = st.regs.get(s.dst);
      const b = st.regs.get(s.src);
      const refine = (ptr: Fact | undefined, end: Fact | undefined): State => {
        if (ptr?.kind !== "data" || end?.kind !== "end" || ptr.epoch !== end.epoch || ptr.off < 0) return out();
        const k = new Map(safe);
        k.set(ptr.epoch, Math.max(k.get(ptr.epoch) ?? 0, ptr.off));
        return { regs, safe: k, epoch };
      };
      switch (s.opcode) {
        case 0x2d: return [refine(a, b), out()]; // jgt ptr, end: falls through when ptr <= end
        case 0xbd: return [out(), refine(a, b)]; // jle ptr, end: jumps when ptr <= end
        case 0xad: return [refine(b, a), out()]; // jlt end, ptr: falls through when end >= ptr
        case 0x3d: return [out(), refine(b, a)]; // jge end, ptr: jumps when end >= ptr
        default: break;
      }
      break;
    }
    default:
      break;
  }
  return [out(), out()];
}

/** After a bpf-to-bpf call nothing is known (the callee may move the packet). */
const EMPTY_AFTER_CALL = (i: number): State => ({ regs: new Map(), safe: new Map(), epoch: i });

export function nativeFacts(slots: readonly Insn[], type: "raw" | "xdp"): NativeFacts {
  const ctxLoads = new Set<number>();
  const proven = new Set<number>();
  if (type !== "xdp") return { ctxLoads, proven };
  const n = slots.length;
  const at: (State | undefined)[] = new Array<State | undefined>(n + 1).fill(undefined);
  at[0] = { regs: new Map([[1, { kind: "ctx" }]]), safe: new Map(), epoch: -1 };
  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (f?.shape === "call" && s.src === 1 && i + 1 + s.imm >= 0 && i + 1 + s.imm < n) at[i + 1 + s.imm] = EMPTY;
    if (f?.shape === "lddw") i++;
  }
  const flow = (to: number, st: State): boolean => {
    if (to < 0 || to > n) return false;
    const old = at[to];
    const next = old ? meet(old, st) : st;
    if (old && sameState(old, next)) return false;
    at[to] = next;
    return true;
  };
  // Facts only ever shrink at a slot, so this reaches a fixpoint.
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < n; i++) {
      const st = at[i];
      const s = slots[i]!;
      const f = formOf(s);
      if (!st || !f) continue;
      const [fall, taken] = transfer(i, s, st);
      const width = f.shape === "lddw" ? 2 : 1;
      if (f.shape === "ja" || f.shape === "ja32") changed = flow(i + 1 + (f.shape === "ja" ? s.off : s.imm), taken) || changed;
      else if (f.shape === "exit") continue;
      else {
        if (f.shape === "jmp_imm" || f.shape === "jmp_reg") changed = flow(i + 1 + s.off, taken) || changed;
        changed = flow(i + width, fall) || changed;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const st = at[i];
    const s = slots[i]!;
    const f = formOf(s);
    if (!st || !f) continue;
    if (f.shape === "ldx" && isCtxLoad(s, st)) ctxLoads.add(i);
    else if (f.shape === "ldx" && isProven(s.src, s.off, accessSize(s.opcode), st)) proven.add(i);
    else if ((f.shape === "st" || f.shape === "stx") && isProven(s.dst, s.off, accessSize(s.opcode), st)) proven.add(i);
    if (f.shape === "lddw") i++;
  }
  return { ctxLoads, proven };
}

/** Where a program's functions start and where its jumps land: what both JITs label. */
export interface ControlFlow {
  /** Function starts: the entry (0) and every bpf-to-bpf call target. */
  readonly starts: ReadonlySet<number>;
  /** Jump targets (ja, ja32, conditional jumps). */
  readonly targets: ReadonlySet<number>;
  /** Whether slot i lies in a subprogram rather than the entry function. */
  readonly inSub: (i: number) => boolean;
}

export function controlFlow(slots: readonly Insn[]): ControlFlow {
  const starts = new Set<number>([0]);
  const targets = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (!f) continue;
    if (f.shape === "call" && s.src === 1) starts.add(i + 1 + s.imm);
    if (f.shape === "ja" || f.shape === "jmp_imm" || f.shape === "jmp_reg") targets.add(i + 1 + s.off);
    if (f.shape === "ja32") targets.add(i + 1 + s.imm);
    if (f.shape === "lddw") i++;
  }
  const sorted = [...starts].sort((a, b) => a - b);
  return { starts, targets, inSub: (i) => sorted.filter((st) => st <= i).pop()! !== 0 };
}
