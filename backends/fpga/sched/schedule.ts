// The scheduling compiler for the multi-lane engine (docs/fpga-engine.md, "Scheduling"):
// a program's slots -> basic blocks -> fusions (fuse.ts), copy propagation (copies.ts) ->
// a dependency DAG per block ->
// list scheduling onto LANES lanes by critical path -> bundles, blocks laid out in program
// order (so fall-through stays fall-through), jump and call offsets re-targeted to bundle
// indices. Pure functions; the result is deterministic (ties go to program order).
//
// Invariants the engine relies on (bpf_core.v): inside a bundle no operation reads or
// writes a register another writes (RAW, WAW); every slot in a lane that runs it
// (LANE_UNITS in ops.ts: one lane-0 operation, in lane 0; proven loads in lane 1, or in
// lane 0 when not speculated; an lddw's second half in the lane after it); a jump, helper
// call or exit is the last operation of its block and every slot of its bundle precedes
// it in program order (an exit reads r0 after those slots' writes: "commit" in ops.ts;
// no slot beside an exit writes r6-r10); bpf-to-bpf calls, tail calls and callx are alone
// in their bundle; branch targets start bundles; lane 0's memory operations keep their
// program order, and a lane-1 load never shares a bundle with a store of the same bytes.
import { formOf, isLddw, type Insn } from "../../../ir/bpf/insn.js";
import { SIZE_BYTES } from "../../../ir/bpf/opcodes.js";
import { fail } from "../../../ir/diag/diag.js";
import { fuseBlock, type DataflowFusion, type FuseContext } from "./fuse.js";
import { extForm } from "./ext.js";
import { pointerFacts, provenPacketAccess, provenValueAccess } from "./ptrs.js";
import { propagateCopies } from "./copies.js";
import { ALL_REGS, liveIn, liveOut } from "./liveness.js";
import { nameDependences, renameRegisters } from "./rename.js";
import { duplicateTails, isConditionalJump } from "./taildup.js";
import { lanesFor, mayAlias, opInfo, opsOf, opTarget, type Access, type Op, type OpInfo } from "./ops.js";

export interface Slot {
  readonly insn: Insn;
  /** Original slot indices this slot carries (empty for an lddw's second half). */
  readonly origin: readonly number[];
}

/** LANES slots; undefined is an empty slot (all-zero in the ROM). */
export type Bundle = readonly (Slot | undefined)[];

export interface Schedule {
  readonly lanes: number;
  readonly bundles: readonly Bundle[];
  /** Slots of the original program. */
  readonly length: number;
  /**
   * Per bundle, each lane's slot's place in program order within its superblock (-1: empty
   * or an lddw's second half). Origins give program order too, except for a tail copied
   * in (taildup.ts), which may come from earlier slots than the code it follows.
   */
  readonly order?: readonly (readonly number[])[];
  /** What the superblock passes did (more than one lane). */
  readonly passStats?: PassStats;
}

export interface PassStats {
  /** Values renamed (rename.ts), and the WAW/WAR pairs in the superblocks before and after. */
  readonly webs: number;
  readonly nameDepsBefore: number;
  readonly nameDepsAfter: number;
  /** Tails copied (taildup.ts). */
  readonly copied: number;
}

export interface ScheduleOptions {
  readonly lanes: number;
  /** Fuse onto the ISA extensions (default: when lanes > 1). */
  readonly fuse?: boolean;
  /** An XDP entry program: r1 is the xdp_md pointer at slot 0 (ctx reads, packet bounds: ptrs.ts). */
  readonly xdp?: boolean;
  /** The dataflow fusions to make (default: all of them). */
  readonly fusions?: readonly DataflowFusion[];
  /** Value bytes of each of the object's maps (by lddw src 1 imm): copies out of map values. */
  readonly mapValueSizes?: readonly number[];
  /** The superblock passes to run (default: all of them with more than one lane; the bench measures them one by one). */
  readonly passes?: readonly SchedPass[];
}

/** rename: register renaming (rename.ts); tail_dup: small tails copied into the superblocks that jump to them (taildup.ts). */
export type SchedPass = "rename" | "tail_dup";
export const SCHED_PASSES: readonly SchedPass[] = ["rename", "tail_dup"];

/** Block leaders: slot 0, every branch target inside the program, every slot after a terminator. */
function leaders(slots: readonly Insn[], ops: readonly Op[]): Set<number> {
  const out = new Set<number>([0]);
  for (const op of ops) {
    const at = op.origin[0]!;
    const t = opTarget(op);
    if (t !== undefined && t >= 0 && t < slots.length) out.add(t);
    if (opInfo(op).terminator) out.add(at + (op.hi ? 2 : 1));
  }
  return out;
}

interface Node {
  readonly op: Op;
  readonly info: OpInfo;
  /** [predecessor, latency in bundles]: 0 allows the same bundle (after it), 1 the next. */
  readonly preds: [number, number][];
  height: number;
  cycle: number;
  /** A conditional jump or helper call with more of the superblock after it. */
  sideExit: boolean;
}

/**
 * The DAG of one superblock: basic blocks joined along fall-through edges into blocks
 * no jump targets, so that a conditional jump may sit inside it (a side exit). An
 * operation after such a jump moves above it (speculation) only when it cannot fault
 * (no memory access, BPF ALU ops cannot: RFC 9669 §4.1 defines division by zero; or a
 * proven load, which then runs in lane 1, whose read port never faults) and the
 * registers it writes are dead where the jump goes (`liveAtTarget`); otherwise it waits
 * for the jump's bundle to pass (latency 1). Two jumps never share a bundle.
 *
 * Memory order: the operations lane 0 runs (stores, atomics, loads not proven) keep
 * their program order (latency 1). A proven load ("load" unit) only reads: it may pass
 * other loads, and stores and atomics it provably does not alias (Op.access: another
 * region, or disjoint bytes of one); one that may alias it stays a bundle before or
 * after it (a read and a write of one address in one cycle, on two ports of a block
 * RAM, are not defined on every FPGA). A helper call after it may share its bundle:
 * lane 1 reads in the bundle's first cycle, before the call writes.
 */
function dag(ops: readonly Op[], liveAtTarget: (op: Op) => number, lanes: number): Node[] {
  const nodes: Node[] = ops.map((op) => ({ op, info: opInfo(op), preds: [], height: 0, cycle: -1, sideExit: false }));
  const lastWriter = new Map<number, number>();
  const readersSince = new Map<number, number[]>();
  let lastMemory = -1;
  const provenLoads: number[] = [];
  const sideExits: [number, number][] = [];
  nodes.forEach((n, j) => {
    const edge = (i: number, lat: number) => n.preds.push([i, lat]);
    const writes = n.info.writes.reduce((m, r) => m | (1 << r), 0);
    const laneLoad = n.info.unit === "load" && lanes > 1;
    const speculable = (!n.info.memory || laneLoad) && !n.info.terminator;
    for (const [b, live] of sideExits) if (!speculable || (writes & live) !== 0) edge(b, 1);
    // An exit reads r0 after its bundle's writes: r0's producer may share its bundle
    // (not a load: its data comes a stage later).
    const commit = n.info.terminator === "commit";
    for (const r of n.info.reads) {
      const w = lastWriter.get(r);
      if (w !== undefined) edge(w, commit && !nodes[w]!.info.memory ? 0 : nodes[w]!.info.latency);
    }
    for (const r of n.info.writes) {
      const w = lastWriter.get(r);
      if (w !== undefined) edge(w, 1);
      for (const reader of readersSince.get(r) ?? []) if (reader !== j) edge(reader, 0);
    }
    if (laneLoad) {
      for (let i = 0; i < j; i++) if (writesMemory(nodes[i]!) && mayAlias(nodes[i]!.op.access, n.op.access)) edge(i, 1);
      provenLoads.push(j);
    } else if (n.info.memory) {
      if (lastMemory >= 0) edge(lastMemory, 1);
      lastMemory = j;
      if (writesMemory(n)) for (const l of provenLoads) if (mayAlias(nodes[l]!.op.access, n.op.access)) edge(l, 1);
    }
    if (n.info.terminator) for (let i = 0; i < j; i++) edge(i, n.info.terminator === "alone" ? 1 : 0);
    const notBeside = n.info.notBeside ?? [];
    for (let i = 0; i < j; i++) if (nodes[i]!.info.writes.some((r) => notBeside.includes(r))) edge(i, 1);
    if (n.info.terminator === "branch" && j < nodes.length - 1) {
      sideExits.push([j, liveAtTarget(n.op)]);
      n.sideExit = true;
    }
    for (const r of n.info.reads) readersSince.set(r, [...(readersSince.get(r) ?? []), j]);
    for (const r of n.info.writes) {
      lastWriter.set(r, j);
      readersSince.set(r, []);
    }
  });
  // Height: the longest latency path to the block's end (the critical path).
  for (let j = nodes.length - 1; j >= 0; j--) {
    for (const [i, lat] of nodes[j]!.preds) nodes[i]!.height = Math.max(nodes[i]!.height, nodes[j]!.height + Math.max(lat, 1));
  }
  return nodes;
}

/** Stores, stx_wide and atomics write memory; loads do not. */
function writesMemory(n: Node): boolean {
  const shape = formOf(n.op.insn)?.shape;
  return n.info.memory && (extForm(n.op.insn)?.kind === "stx_wide" || shape === "st" || shape === "stx" || shape === "atomic");
}

/**
 * The lanes each of a bundle's operations takes (in the order given), or undefined when
 * they do not fit: LANE_UNITS, lane 0 for a proven load only when it is not speculated
 * above a jump (lane 0 faults), and a width-2 operation in lanes k and k+1. A small
 * backtracking search (at most LANES operations); the first fit in order of lanes wins,
 * so a lane-0 operation takes lane 0 and the rest follow in program order.
 */
function fitLanes(items: readonly { info: OpInfo; speculated: boolean }[], lanes: number): number[] | undefined {
  const taken = new Array<boolean>(lanes).fill(false);
  const at: number[] = [];
  const go = (k: number): boolean => {
    if (k === items.length) return true;
    const { info, speculated } = items[k]!;
    // a proven load prefers lane 1 (its read port), leaving lane 0 to what only it runs
    const order = lanesFor(info.unit, info.width, lanes);
    if (info.unit === "load") order.reverse();
    for (const lane of order) {
      if (speculated && lane === 0) continue;
      if (taken[lane] || (info.width === 2 && taken[lane + 1])) continue;
      taken[lane] = true;
      if (info.width === 2) taken[lane + 1] = true;
      at[k] = lane;
      if (go(k + 1)) return true;
      taken[lane] = false;
      if (info.width === 2) taken[lane + 1] = false;
    }
    return false;
  };
  return go(0) ? at.slice(0, items.length) : undefined;
}

/**
 * On several lanes an all-zero opcode is the empty slot, lane 0's too (a bundle of a lone
 * lane-1 load); an instruction of the program with opcode 0 (illegal: lddw is 0x18) goes
 * into the ROM as another opcode no lane runs (class LD, mode 0, BPF_X), so it still faults.
 */
const ILLEGAL = 0x08;

/** List scheduling of one block: bundle by bundle, the ready node of greatest height first. */
function scheduleBlock(ops: readonly Op[], lanes: number, liveAtTarget: (op: Op) => number): Bundle[] {
  const nodes = dag(ops, liveAtTarget, lanes);
  const sideExits = nodes.flatMap((n, i) => (n.sideExit ? [i] : []));
  const bundles: Bundle[] = [];
  let left = nodes.length;
  for (let cycle = 0; left > 0; cycle++) {
    const placed: number[] = [];
    // a node above a side exit not yet issued in an earlier bundle runs speculatively
    const speculated = (j: number): boolean => sideExits.some((i) => i < j && (nodes[i]!.cycle < 0 || nodes[i]!.cycle >= cycle));
    const items = (js: readonly number[]) => js.map((j) => ({ info: nodes[j]!.info, speculated: nodes[j]!.info.unit === "load" && speculated(j) }));
    for (;;) {
      let best = -1;
      nodes.forEach((n, j) => {
        if (n.cycle >= 0) return;
        const ready = n.preds.every(([i, lat]) => nodes[i]!.cycle >= 0 && nodes[i]!.cycle + lat <= cycle);
        if (!ready) return;
        if (best >= 0 && n.height <= nodes[best]!.height) return;
        if (lanes === 1 ? placed.length > 0 : !fitLanes(items([...placed, j].sort((a, b) => a - b)), lanes)) return;
        best = j;
      });
      if (best < 0) break;
      nodes[best]!.cycle = cycle;
      placed.push(best);
      left--;
    }
    if (placed.length === 0 && left > 0 && cycle > 4 * nodes.length + 8) throw new Error("bug: the scheduler made no progress");
    if (placed.length === 0) continue;
    // Empty bundles (latency gaps) go: the engine would stall there anyway.
    placed.sort((a, b) => a - b);
    if (lanes === 1) {
      const op = nodes[placed[0]!]!.op;
      bundles.push([{ insn: op.insn, origin: op.origin }]);
      // on one lane an lddw's second half is the next bundle, as in the single-lane ROM
      if (op.hi) bundles.push([{ insn: op.hi, origin: [] }]);
      continue;
    }
    const at = fitLanes(items(placed), lanes)!;
    const out = new Array<Slot | undefined>(lanes).fill(undefined);
    placed.forEach((j, k) => {
      const op = nodes[j]!.op;
      out[at[k]!] = { insn: op.insn.opcode === 0 ? { ...op.insn, opcode: ILLEGAL } : op.insn, origin: op.origin };
      if (op.hi) out[at[k]! + 1] = { insn: op.hi, origin: [] };
    });
    bundles.push(out);
  }
  return bundles;
}

/** The single-lane identity: every slot a bundle of its own, offsets unchanged. */
function identity(slots: readonly Insn[]): Schedule {
  return { lanes: 1, length: slots.length, bundles: slots.map((insn, i) => [{ insn, origin: i > 0 && slots[i - 1]!.opcode === 0x18 && insn.opcode === 0 ? [] : [i] }]) };
}

/** The frame: RFC 9669 §2.1, 512 bytes below r10. */
const FRAME = 512;
/** Shapes of the instructions that access memory at [base + off]. */
const MEMORY_SHAPES: ReadonlySet<string> = new Set(["ldx", "st", "stx", "atomic"]);

/**
 * Marks what cannot fault where the program has it (Op.proven): a plain load whose
 * address ptrs.ts proves in bounds at its original slot (the stack at a constant offset
 * from r10 when no instruction writes r10, the packet inside a range a bounds check
 * proved, a non-NULL map value inside the value), an ldx_wide (fused only where every
 * byte is proven: wide.ts), an lddw of a handle of one of the object's maps
 * (mapValueSizes names them). Copy propagation may have renamed a load's base: the
 * proof looks at the original slot, whose base holds the same value.
 */
function provenOps(slots: readonly Insn[], cx: FuseContext, opts: ScheduleOptions): (op: Op) => Op {
  const r10Written = slots.some((s, at) => {
    const f = formOf(s);
    if (!f || (at > 0 && isLddw(slots[at - 1]!))) return false;
    return opInfo({ insn: s, origin: [at] }).writes.includes(10);
  });
  const stack = (s: Insn, bytes: number): boolean => !r10Written && s.src === 10 && s.off >= -FRAME && s.off + bytes <= 0;
  // The bytes one original load, store or atomic (MEMORY_SHAPES) touches, where its base is known.
  const accessAt = (at: number): Access | undefined => {
    const s = slots[at]!;
    const base = formOf(s)?.shape === "ldx" ? s.src : s.dst;
    const bytes = SIZE_BYTES[s.opcode & 0x18] ?? 8;
    const f = cx.facts[at];
    if (base === 10 && !r10Written) return { region: "stack", lo: s.off, hi: s.off + bytes };
    const k = f?.pkt[base];
    if (k !== undefined) return { region: "packet", lo: k + s.off, hi: k + s.off + bytes };
    const v = f?.val[base];
    if (v) return { region: `value:${v.id}`, lo: v.k + s.off, hi: v.k + s.off + bytes };
    return undefined;
  };
  // A fused access touches the union of its original accesses (one region, or unknown).
  const accessOf = (op: Op): Access | undefined => {
    const parts = op.origin.filter((at) => MEMORY_SHAPES.has(formOf(slots[at]!)?.shape ?? "")).map(accessAt);
    const first = parts[0];
    if (!first || parts.some((a) => !a || a.region !== first.region)) return undefined;
    return { region: first.region, lo: Math.min(...parts.map((a) => a!.lo)), hi: Math.max(...parts.map((a) => a!.hi)) };
  };
  return (op0) => {
    const access = opInfo(op0).memory ? accessOf(op0) : undefined;
    const op = access ? { ...op0, access } : op0;
    const s = op.insn;
    const ext = extForm(s);
    if (ext?.kind === "ldx_wide") return { ...op, proven: true };
    const shape = ext ? undefined : formOf(s)?.shape;
    if (shape === "lddw" && s.src === 1 && opts.mapValueSizes && s.imm >= 0 && s.imm < opts.mapValueSizes.length) return { ...op, proven: true };
    if (shape !== "ldx" || op.origin.length !== 1) return op;
    const at = op.origin[0]!;
    const orig = slots[at]!;
    const bytes = SIZE_BYTES[s.opcode & 0x18] ?? 8;
    const f = cx.facts[at];
    const ok = stack(s, bytes) || stack(orig, bytes) || provenPacketAccess(f, orig.src, orig.off, bytes)
      || provenValueAccess(f, orig.src, orig.off, bytes, (m) => cx.valueSize?.(m));
    return ok ? { ...op, proven: true } : op;
  };
}

/**
 * Schedules one program. A branch into the second slot of an lddw (the interpreter's
 * run-fell-off there) cannot be laid out in bundles; it is refused with its location.
 */
export function schedule(slots: readonly Insn[], opts: ScheduleOptions): Schedule {
  if (opts.lanes === 1 && !opts.fuse) return identity(slots);
  const ops = opsOf(slots);
  const lead = leaders(slots, ops);
  for (const op of ops) {
    if (op.hi && lead.has(op.origin[0]! + 1)) fail("offload-unsupported", { insn: op.origin[0]! + 1 }, ["fpga", "a branch into the second slot of an lddw (the multi-lane engine's bundles have no such address)"]);
  }
  // Blocks in program order; the fusions and copy propagation inside each (they assume
  // straight-line code); then superblocks: a block ending in a conditional jump takes in
  // the block it falls through to when no jump targets that one (its only way in).
  const blocks: Op[][] = [];
  for (const op of ops) {
    if (blocks.length === 0 || lead.has(op.origin[0]!)) blocks.push([]);
    blocks[blocks.length - 1]!.push(op);
  }
  const fuse = opts.fuse ?? opts.lanes > 1;
  const live = liveIn(slots);
  const cx: FuseContext = {
    facts: pointerFacts(slots, opts.xdp ?? false),
    liveIn: (at) => (at >= 0 && at < slots.length ? live[at]! : ALL_REGS),
    ...(opts.fusions ? { kinds: new Set(opts.fusions) } : {}),
    valueSize: (m) => opts.mapValueSizes?.[m],
  };
  // Superblocks: a block ending in a conditional jump takes in the block it falls through
  // to when no jump targets that one; small tails are copied in first (taildup.ts).
  const passes = new Set(opts.lanes > 1 ? opts.passes ?? SCHED_PASSES : []);
  // Loads proven in bounds at their own place (lane 1's, ops.ts): a tail's copy is reached
  // by one of the ways into the original, so the proof holds for the copy too.
  const prove = provenOps(slots, cx, opts);
  const bodies = blocks.map((block) => (fuse ? propagateCopies(fuseBlock(block, cx)) : block).map(prove));
  const firsts = blocks.map((block) => block[0]!.origin[0]!);
  const dup = passes.has("tail_dup") ? duplicateTails(bodies, firsts) : { blocks: bodies, starts: firsts, copied: 0 };
  const targets = new Set(dup.blocks.flatMap((b) => b.map(opTarget).filter((t) => t !== undefined)));
  const superblocks: Op[][] = [];
  const starts: number[] = [];
  let joinable = false;
  dup.blocks.forEach((body, k) => {
    if (joinable && !targets.has(dup.starts[k]!)) superblocks[superblocks.length - 1]!.push(...body);
    else {
      superblocks.push([...body]);
      starts.push(dup.starts[k]!);
    }
    joinable = opts.lanes > 1 && isConditionalJump(body[body.length - 1]!);
  });
  const liveAtTarget = (op: Op): number => {
    const t = opTarget(op);
    return t !== undefined && t >= 0 && t < slots.length ? live[t]! : ALL_REGS;
  };
  const after = passes.size > 0 ? liveOut(slots, live) : [];
  const bundles: Bundle[] = [];
  const startOf = new Map<number, number>();
  const order: number[][] = [];
  const stats = { webs: 0, nameDepsBefore: 0, nameDepsAfter: 0, copied: dup.copied };
  for (const [k, block] of superblocks.entries()) {
    startOf.set(starts[k]!, bundles.length);
    const end = block[block.length - 1]!.origin;
    const renamed = passes.has("rename") ? renameRegisters(block, { liveAtTarget, liveOut: after[end[end.length - 1]!]! }) : { ops: block, webs: 0 };
    stats.webs += renamed.webs;
    stats.nameDepsBefore += nameDependences(block);
    stats.nameDepsAfter += nameDependences(renamed.ops);
    // each slot's place in its superblock (slots carry their operation's origin array)
    const seq = new Map(renamed.ops.map((op, i) => [op.origin, i]));
    const part = scheduleBlock(renamed.ops, opts.lanes, liveAtTarget);
    bundles.push(...part);
    order.push(...part.map((b) => b.map((slot) => (slot ? seq.get(slot.origin) ?? -1 : -1))));
  }
  // Re-target jumps and local calls: offsets count bundles from the next bundle.
  const n = bundles.length;
  const bundleOf = (t: number): number => (t < 0 ? t : t >= slots.length ? n + (t - slots.length) : startOf.get(t)!);
  const retargeted = bundles.map((b, at) => b.map((slot) => {
    if (!slot || slot.origin.length === 0) return slot;
    const t = opTarget(slot);
    if (t === undefined) return slot;
    const rel = bundleOf(t) - at - 1;
    const shape = formOf(slot.insn)?.shape;
    const viaImm = shape === "ja32" || shape === "call";
    return { ...slot, insn: viaImm ? { ...slot.insn, imm: rel } : { ...slot.insn, off: rel } };
  }));
  return { lanes: opts.lanes, length: slots.length, bundles: retargeted, order, ...(opts.lanes > 1 ? { passStats: stats } : {}) };
}

/** The ROM words of a schedule: LANES slots per bundle, lane 0 first; empty slots all-zero. */
export function scheduleWords(s: Schedule): Insn[] {
  const zero: Insn = { opcode: 0, dst: 0, src: 0, off: 0, imm: 0 };
  return s.bundles.flatMap((b) => b.map((slot) => slot?.insn ?? zero));
}

/** The original slot index a fault in bundle `b` (relative to the program) names: its lane-0 slot's. */
export function sourceIndex(s: Schedule, b: number): number {
  if (b >= s.bundles.length) return s.length + (b - s.bundles.length);
  const slot = s.bundles[b]?.[0];
  return slot?.origin[slot.origin.length - 1] ?? b;
}

/** Static figures: bundles, filled slots, BPF slots they carry (an lddw's second half counts, as in the program). */
export function scheduleFigures(s: Schedule): { bundles: number; slots: number; filled: number; instructions: number } {
  let filled = 0;
  let instructions = 0;
  for (const b of s.bundles) for (const slot of b) if (slot) {
    filled++;
    instructions += Math.max(1, slot.origin.length);
  }
  return { bundles: s.bundles.length, slots: s.bundles.length * s.lanes, filled, instructions };
}
