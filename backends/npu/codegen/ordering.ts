// Which commands must issue in packet order. Threads run packets concurrently; a packet
// that reads a map another packet writes must see the writes of every earlier packet and
// none of the later ones, as the interpreter (one packet after another) does. Maps the
// program never writes need no order at all, so only their writers' commands get the
// microword's `ord` bit and the rest run as soon as they can (docs/npu-isa.md §Packet order).
//
// A map is written in two ways, tracked apart:
//   - its key set (`structure`): map.update and map.delete, an LRU lookup (recency);
//   - the value of an element that exists (`values`): stores and atomics through value
//     pointers, an update that may overwrite (flags other than BPF_NOEXIST), a delete (a
//     pointer into the deleted value lives on), an LRU update (it may evict).
// Lookups, updates and deletes of a map written either way are ordered; a value access
// only when the values are written. So an insert-only map (update with BPF_NOEXIST, as the
// counter example makes new entries) orders its lookups and inserts but not the reads of
// its values, which never change once an element exists.
//
// Non-fetching atomics of one kind (counters) on a map whose values are never loaded
// commute with each other and are seen by no packet: they need no order either, unless an
// overwriting update or a delete may race them.
// A map value pointer's map comes from where it was made (map.lookup, map.array_elem,
// global.addr) through ptradd and block parameters; a store or atomic through a pointer
// of unknown origin writes every map. The clock and random helpers read host state that
// moves on with every call.
import type { Arg, Func, Inst, Module } from "../../../ir/core/ir.js";
import { UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import type { VInst } from "./vcode.js";
import { LOOKUP_KINDS } from "../isa.js";

const TAIL_KIND = LOOKUP_KINDS.indexOf("tail");

/** Helpers whose answer depends on every earlier call: bpf_ktime_get_ns, bpf_get_prandom_u32. */
export const ORDERED_HELPERS: ReadonlySet<number> = new Set([5, 7]);

export interface Ordering {
  /** Maps some packet writes (key set or values): their lookups, updates and deletes go in packet order. */
  readonly written: ReadonlySet<number>;
  /** Maps whose existing values some packet writes: accesses through their value pointers go in packet order. */
  readonly values: ReadonlySet<number>;
  /** Whether a store or atomic writes a map through a pointer of unknown origin (every map access is then ordered). */
  readonly unknownWrites: boolean;
  /** Whether an access through this pointer (of function `func`) must go in packet order. */
  ordered(func: string, ptr: Arg, region: string): boolean;
  /** Whether the code generator gives this IR instruction's command the `ord` bit. */
  orderedInst(func: string, i: Inst): boolean;
}

/**
 * `others`: the object's other programs, which a tail call may run for the same packet:
 * what they write orders this program's accesses too (the maps are the object's, shared).
 */
export function packetOrdering(m: Module, others: readonly Module[] = []): Ordering {
  const mapIndex = (a: Arg | undefined) => (a?.kind === "sym" ? m.maps.findIndex((d) => d.name === a.name) : -1);
  const structure = new Set<number>();
  const values = new Set<number>();
  let unknownWrites = false;
  let readsUnknown = false;
  const read = new Set<number>();
  const commuting = new Map<number, Set<string>>();
  const originsByFunc = new Map<string, (a: Arg) => Set<number> | undefined>();
  const funcs = [...m.funcs.map((f) => ({ f, own: true })), ...others.flatMap((o) => o.funcs.map((f) => ({ f, own: false })))];
  for (const { f, own } of funcs) {
    // Origins: value id -> the maps it may point into (undefined: unknown).
    const origin = new Map<number, Set<number> | undefined>();
    const params = new Map<number, Arg[]>();
    for (const b of f.blocks) {
      for (const s of b.term.op === "br" ? [b.term.to] : b.term.op === "br_if" ? [b.term.then, b.term.else] : []) {
        const target = f.blocks.find((t) => t.name === s.block)!;
        s.args.forEach((a, n) => {
          const id = target.params[n]!.id;
          params.set(id, [...(params.get(id) ?? []), a]);
        });
      }
    }
    const defs = new Map<number, { op: string; args: readonly Arg[] }>();
    for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined) defs.set(i.result, i);
    const originOf = (a: Arg, seen: Set<number>): Set<number> | undefined => {
      if (a.kind !== "value") return new Set();
      if (origin.has(a.id)) return origin.get(a.id);
      if (seen.has(a.id)) return new Set();
      seen.add(a.id);
      const d = defs.get(a.id);
      let out: Set<number> | undefined;
      if (d && (d.op === "map.lookup" || d.op === "map.array_elem" || d.op === "global.addr")) out = new Set([mapIndex(d.args[0])]);
      else if (d?.op === "ptradd") out = originOf(d.args[0]!, seen);
      else if (!d && params.has(a.id)) {
        out = new Set();
        for (const x of params.get(a.id)!) {
          const o = originOf(x, seen);
          if (!o) { out = undefined; break; }
          for (const k of o) out.add(k);
        }
      } else out = undefined;
      origin.set(a.id, out);
      return out;
    };
    if (own) originsByFunc.set(f.name, (a) => originOf(a, new Set()));
    for (const b of f.blocks) {
      for (const i of b.insts) {
        const [x, y] = i.args;
        const lru = m.maps[mapIndex(x)]?.kind === "lru_hash";
        if (i.op === "map.update") {
          structure.add(mapIndex(x));
          const flags = i.args[3];
          if (lru || flags?.kind !== "imm" || flags.value !== BigInt(UPDATE_FLAGS.NOEXIST)) values.add(mapIndex(x));
        }
        if (i.op === "map.delete") { structure.add(mapIndex(x)); values.add(mapIndex(x)); }
        if (i.op === "map.lookup" && lru) structure.add(mapIndex(x));
        const region = x?.kind === "word" ? x.word : "";
        if (region !== "map_value" && region !== "global" && region !== "any") continue;
        const o = region === "any" ? undefined : originOf(y!, new Set());
        const atomic = /^atomic\.(add|or|and|xor)\./.exec(i.op);
        if (atomic) {
          // A non-fetching atomic of one kind commutes with the others: counters need no order.
          if (!o) unknownWrites = true;
          else for (const k of o) commuting.set(k, new Set([...(commuting.get(k) ?? []), atomic[1]!]));
        } else if (i.op.startsWith("store.") || i.op.startsWith("atomic.")) {
          if (!o) unknownWrites = true;
          else for (const k of o) values.add(k);
        } else if (i.op.startsWith("load.")) {
          if (!o) readsUnknown = true;
          else for (const k of o) read.add(k);
        }
      }
    }
  }
  // Atomics of one kind on values nobody reads leave every packet's view the same in any order.
  for (const [k, ops] of commuting) if (ops.size > 1 || read.has(k) || readsUnknown || values.has(k)) values.add(k);
  const written = new Set([...structure, ...values]);
  const ordered = (func: string, ptr: Arg, region: string): boolean => {
    if (unknownWrites) return true;
    if (region === "any" || region === "mem") return written.size > 0;
    if (region !== "map_value" && region !== "global") return false;
    const o = originsByFunc.get(func)?.(ptr);
    return o === undefined ? written.size > 0 : [...o].some((k) => values.has(k));
  };
  const orderedInst = (func: string, i: Inst): boolean => {
    const [x, y] = i.args;
    if (i.op === "map.lookup" || i.op === "map.update" || i.op === "map.delete") return unknownWrites || written.has(mapIndex(x));
    if (/^(load|store|atomic)\./.test(i.op)) return x?.kind === "word" && ordered(func, y!, x.word);
    // A tail call (helper 12) runs another program, which may issue ordered commands.
    if (i.op === "call.helper") return x?.kind === "imm" && (ORDERED_HELPERS.has(Number(x.value)) || x.value === 12n);
    // A call may reach ordered commands in its callee; say so whenever the module has any.
    if (i.op === "call") return true;
    return false;
  };
  return { written, values, unknownWrites, ordered, orderedInst };
}

/**
 * Ordered lookups of the entry function whose found path issues no more ordered commands
 * (the value ids of their results): their `lkp` gets `rel`, so a packet whose key is
 * there leaves packet order as the lookup issues instead of after waiting out its
 * latency and branching (docs/npu-isa.md §Packet order). The shape is the one every
 * `bpf_map_lookup_elem` makes: the lookup, then in the same block only unordered work,
 * a compare of its pointer with 0 and a branch on it; from the found successor (the
 * branch's other side when the compare is eq) no ordered instruction is reachable.
 */
export function releasesOnHit(f: Func, order: Ordering): Set<number> {
  const out = new Set<number>();
  const byName = new Map(f.blocks.map((b) => [b.name, b]));
  // Blocks from which an ordered instruction is reachable (themselves included).
  const orderedHere = new Set(f.blocks.filter((b) => b.insts.some((i) => order.orderedInst(f.name, i))).map((b) => b.name));
  const reaches = new Set(orderedHere);
  for (let changed = true; changed;) {
    changed = false;
    for (const b of f.blocks) {
      if (reaches.has(b.name)) continue;
      const t = b.term;
      const succs = t.op === "br" ? [t.to.block] : t.op === "br_if" ? [t.then.block, t.else.block] : [];
      if (succs.some((s) => reaches.has(s))) { reaches.add(b.name); changed = true; }
    }
  }
  for (const b of f.blocks) {
    const t = b.term;
    if (t.op !== "br_if" || t.cond.kind !== "value" || t.then.block === t.else.block) continue;
    const condId = t.cond.id;
    const cmp = b.insts.find((i) => i.result === condId);
    if (!cmp || (cmp.op !== "icmp.eq" && cmp.op !== "icmp.ne")) continue;
    const [p, q] = cmp.args;
    const isZero = (a: Arg | undefined) => a?.kind === "imm" && a.value === 0n;
    const ptr = isZero(q) ? p : isZero(p) ? q : undefined;
    if (ptr?.kind !== "value") continue;
    const at = b.insts.findIndex((i) => i.result === ptr.id && i.op === "map.lookup");
    if (at < 0 || !order.orderedInst(f.name, b.insts[at]!)) continue;
    if (b.insts.slice(at + 1).some((i) => order.orderedInst(f.name, i))) continue;
    const found = cmp.op === "icmp.eq" ? t.else.block : t.then.block;
    if (!byName.has(found) || reaches.has(found)) continue;
    out.add(ptr.id);
  }
  return out;
}

/** Whether a word is an ordered command (`ord` set by isel). */
const isOrdered = (i: VInst): boolean => i.ord === true;

/**
 * Places `ordx` where a packet passes its last ordered command: at every point from
 * which no ordered command is reachable but from whose predecessor one was. Later
 * packets' ordered commands may then go ahead while this one finishes (docs/npu-isa.md
 * §Packet order). Only in the entry function: a callee cannot know what its caller does
 * next, and a call is taken to reach ordered commands when the module has any.
 */
export function insertReleases(insts: readonly VInst[], callsMayOrder: boolean): VInst[] {
  if (!insts.some(isOrdered) && !callsMayOrder) return [...insts];
  const n = insts.length;
  const labelAt = new Map<string, number>();
  insts.forEach((i, k) => { if (i.op === "label") labelAt.set(i.label!, k); });
  const falls = (i: VInst) => !((i.op === "br" && i.cond === 0) || i.op === "rtn" || i.op === "done");
  const succ = (k: number): number[] => {
    const i = insts[k]!;
    const out: number[] = [];
    if (i.op === "br" && i.label !== undefined && labelAt.has(i.label) && i.cond !== 15) out.push(labelAt.get(i.label)!);
    if (falls(i) && !(i.op === "br" && i.cond === 0) && k + 1 < n) out.push(k + 1);
    return out;
  };
  // R[k]: an ordered command (or a call that may issue one) is reachable from word k.
  // A tail call (lkp.tail) is a call that never comes back: it too may reach ordered commands.
  const R = insts.map((i) => isOrdered(i) || ((i.op === "bl" || (i.op === "lkp" && i.cond === TAIL_KIND)) && callsMayOrder));
  for (let changed = true; changed;) {
    changed = false;
    for (let k = n - 1; k >= 0; k--) {
      if (R[k]) continue;
      if (succ(k).some((s) => R[s])) { R[k] = true; changed = true; }
    }
  }
  const preds = insts.map(() => [] as number[]);
  for (let k = 0; k < n; k++) for (const s of succ(k)) preds[s]!.push(k);
  const out: VInst[] = [];
  insts.forEach((i, k) => {
    const transition = !R[k] && preds[k]!.some((p) => R[p]);
    if (i.op === "label") {
      out.push(i);
      if (transition) out.push({ op: "ordx", note: "no ordered command follows: later packets may go ahead" });
      return;
    }
    // After a label the label itself carried the transition.
    if (transition && insts[k - 1]?.op !== "label") out.push({ op: "ordx", note: "no ordered command follows: later packets may go ahead" });
    out.push(i);
  });
  return out;
}
