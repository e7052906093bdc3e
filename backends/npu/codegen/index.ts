// IR -> microcode: every function selected (isel.ts), scheduled (sched.ts), allocated
// (regalloc.ts), then laid out one after another, the entry first, with branch targets
// and frame sizes fixed up from a fixup list once every address is known.
import type { Module } from "../../../ir/core/ir.js";
import { fail } from "../../../ir/diag/diag.js";
import { COND_CODE, emptyWord, encodeWord, operandCode, OP_BY_NAME, wordProblems, type Word } from "../isa.js";
import { FRAME } from "../layout.js";
import { selectFunction } from "./isel.js";
import { allocate } from "./regalloc.js";
import { schedule } from "./sched.js";
import { forwardTransfers } from "./forward.js";
import { insertReleases, ORDERED_HELPERS, packetOrdering } from "./ordering.js";
import { defsOf, formatOf, usesOf, type VInst } from "./vcode.js";

export interface Microcode {
  readonly words: readonly Word[];
  /** Per word: what it was selected for (an IR instruction's text, or the allocator's spill and reload). */
  readonly notes: readonly string[];
  /** Per word: the BPF slot (of the program the module was lifted from) its IR instruction came from, when it has one. */
  readonly origins: readonly (number | undefined)[];
  /** Per function: its first word. */
  readonly functions: readonly { readonly name: string; readonly at: number }[];
  /**
   * Per IR block: its first word. The lift names a block after the input BPF instruction
   * it starts at (bb15: instruction 15), which is how the listing points back at the BPF.
   */
  readonly blocks: readonly { readonly func: string; readonly name: string; readonly at: number }[];
  readonly spilled: number;
}

export interface CodegenOptions {
  /** Every scalar a register pair (no 32-bit narrowing): the naive baseline. */
  readonly pairs?: boolean;
  /** Leave commands and their waits back to back. */
  readonly noSchedule?: boolean;
  /**
   * Tail calls: the object's other programs (a tail call may run any of them for the same
   * packet, so their map writes order this one's accesses) and the number of programs in
   * the image, which `lkp.tail` carries.
   */
  readonly others?: readonly Module[];
  readonly programs?: number;
}

export function compileMicrocode(module: Module, opts: CodegenOptions = {}): Microcode {
  const laid: { name: string; insts: VInst[]; spillBytes: number }[] = [];
  let spilled = 0;
  const ordering = packetOrdering(module, opts.others);
  const selected: boolean[] = [];
  module.funcs.forEach((f, n) => {
    const v = selectFunction(f, { module, pairs: opts.pairs, ordering, programs: opts.programs }, n === 0);
    const live = removeDead(forwardTransfers(removeDead(v.insts)));
    const insts = opts.noSchedule ? live : schedule(live);
    const a = allocate({ ...v, insts });
    spilled += a.spilled;
    selected.push(v.insts.some((i) => i.ord));
    laid.push({ name: f.name, insts: a.insts, spillBytes: a.spillBytes });
  });
  // The entry function releases packet order after its last ordered command; a call counts as one when any callee has them.
  // A tail call counts as one when any program of the object may write a map another packet reads.
  const tailMayOrder = (opts.others?.length ?? 0) > 0 && (ordering.unknownWrites || ordering.written.size > 0 || [module, ...opts.others!].some(usesOrderedHelpers));
  if (laid.length > 0) laid[0] = { ...laid[0]!, insts: insertReleases(laid[0]!.insts, selected.slice(1).some(Boolean) || tailMayOrder) };
  // Addresses of labels, then the words.
  const labels = new Map<string, number>();
  const functions: { name: string; at: number }[] = [];
  const blocks: { func: string; name: string; at: number }[] = [];
  let pc = 0;
  for (const f of laid) {
    functions.push({ name: f.name, at: pc });
    const prefix = `.B${f.name}.`;
    for (const i of f.insts) {
      if (i.op === "label") {
        labels.set(i.label!, pc);
        if (i.label!.startsWith(prefix)) blocks.push({ func: f.name, name: i.label!.slice(prefix.length), at: pc });
      } else pc++;
    }
  }
  const words: Word[] = [];
  const notes: string[] = [];
  const origins: (number | undefined)[] = [];
  for (const f of laid) {
    // The callee's frame starts after this one's spill slots: FP moves by spill + args + stack.
    const delta = f.spillBytes + FRAME.argBytes + FRAME.stackBytes;
    for (const i of f.insts) {
      if (i.op === "label") continue;
      words.push(encodeInst(i, labels, delta));
      notes.push(i.note ?? "");
      origins.push(i.origin);
    }
  }
  if (words.length > 0xffff) fail("codegen", {}, [`${words.length} microwords: branch targets are 16 bits`]);
  return { words, notes, origins, functions, blocks, spilled };
}

function usesOrderedHelpers(m: Module): boolean {
  return m.funcs.some((f) => f.blocks.some((b) => b.insts.some((i) => i.op === "call.helper" && i.args[0]?.kind === "imm" && ORDERED_HELPERS.has(Number(i.args[0].value)))));
}

function encodeInst(i: VInst, labels: ReadonlyMap<string, number>, delta: number): Word {
  const info = OP_BY_NAME.get(i.op);
  if (!info) return fail("codegen", {}, [`bug: no opcode ${i.op}`]);
  const w = emptyWord();
  w.op = info.code;
  const code = (l: VInst["a"]) => (l?.k === "p" ? operandCode(l.op) : l ? fail("codegen", {}, [`bug: virtual register v${l.v} after allocation`]) : 0);
  if (i.dst) w.dst = code(i.dst);
  if (i.a) w.a = code(i.a);
  if (i.b) w.b = code(i.b);
  if (i.imm) {
    let imm = i.imm;
    if (i.frameDelta) {
      if (imm.imm + delta > 0xffff) fail("codegen", {}, [`a frame of ${delta} bytes does not fit an immediate`]);
      imm = { ...imm, imm: imm.imm + delta };
    }
    Object.assign(w, { bimm: 1, imm: imm.imm, ihi: imm.ihi ? 1 : 0, inv: imm.inv ? 1 : 0 });
  }
  if (i.field !== undefined) w.imm = ((i.field + (i.frameDelta && !i.imm ? delta : 0)) & 0xffff) >>> 0;
  if (i.sh !== undefined) w.sh = i.sh;
  if (i.cond !== undefined) w.cond = i.cond;
  if (i.size !== undefined) w.size = i.size;
  if (i.xfer !== undefined) w.xfer = i.xfer;
  if (i.sig !== undefined) w.sig = i.sig;
  if (i.swap) w.swap = 1;
  if (i.ord) w.ord = 1;
  if (i.rel) w.rel = 1;
  if (i.label !== undefined) {
    const to = labels.get(i.label);
    if (to === undefined) fail("codegen", {}, [`bug: label ${i.label} was never placed`]);
    w.imm = to;
  }
  if (info.format === "br" && i.cond === undefined) w.cond = COND_CODE.get("al")!;
  const problems = wordProblems(w);
  if (problems.length) fail("codegen", {}, [`bug: ${i.op}: ${problems.join("; ")}`]);
  encodeWord(w);
  return w;
}

/**
 * Datapath words whose result nobody reads (the high word of a value only its low word
 * is used of, a parameter's unused half): gone, until none is left. Only words without
 * flags or memory effects qualify.
 */
function removeDead(insts: readonly VInst[]): VInst[] {
  let out = [...insts];
  for (;;) {
    const uses = new Map<number, number>();
    for (const i of out) {
      for (const u of usesOf(i)) {
        // immw1 reads its own destination: that alone does not keep it.
        if (u.k === "v" && !(i.op === "immw1" && i.dst?.k === "v" && i.dst.v === u.v)) uses.set(u.v, (uses.get(u.v) ?? 0) + 1);
      }
    }
    const dead = (i: VInst) => ["mov", "imm", "sh", "dsh", "un"].includes(formatOf(i.op)) && defsOf(i).every((d) => d.k === "v" && !uses.has(d.v));
    const kept = out.filter((i) => !dead(i));
    if (kept.length === out.length) return out;
    out = kept;
  }
}
