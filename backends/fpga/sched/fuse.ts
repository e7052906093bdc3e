// Peephole fusions onto the engine's extensions (ext.ts), within one basic block: the
// operations fused must be adjacent and none but the first may be a branch target (only
// the first may be a block leader), so no path reaches the rest without the first. Each
// rewrite keeps the meaning exactly (RFC 9669 §4.1):
//   mov64 rd, rs; op{32,64} rd, x  ->  rd = rs op x      (op32 reads the low half of rd = rs)
//   mov32 rd, rs; op32 rd, x       ->  rd = rs op32 x    (not op64: mov32 zero-extends first)
//   x = rd as a register operand reads rs (the value rd holds between the two)
//   mov64 r0, imm; exit            ->  exit imm (r0 = sext imm); mov32 r0, imm: zext imm
// and, with what the program's dataflow says (FuseContext: pointer facts from ptrs.ts,
// liveness from liveness.ts):
//   ldxw rd, [ctx+F]               ->  ctx_read rd, F    (the base is statically the xdp_md pointer)
//   runs of byte loads/stores (assembled fields, copies, values stored byte by byte)
//                                  ->  ldx_wide / stx_wide (wide.ts), where every access is
//                                      proven in bounds (no fault site moves)
//   rX = rA + k (64-bit); jCC rX, rB  ->  jcc_add: if rA + k CC rB (the add stays, as its own
//                                      slot, when rX is live after the jump)
import { branchTarget, formOf } from "../../../ir/bpf/insn.js";
import { alu3, alu3Fields, ALU3_OPS, CTX_FIELDS, ctxRead, exitImm, extForm, jccAdd, JCC_ADD_MAX, JCC_ADD_MIN, slotWeight } from "./ext.js";
import type { Op } from "./ops.js";
import type { PtrFacts } from "./ptrs.js";
import { combineCopiesAndStores, combineLoads } from "./wide.js";

const MOV = 0xb;

/** What the dataflow fusions need; without it (tests of the pair fusions) they are off. */
export interface FuseContext {
  /** Pointer facts on entry to each original slot (ptrs.ts). */
  readonly facts: readonly (PtrFacts | undefined)[];
  /** Registers live on entry to each original slot (liveness.ts); past the program: all. */
  readonly liveIn: (at: number) => number;
  /** The dataflow fusions to make (all by default; the bench measures them one by one). */
  readonly kinds?: ReadonlySet<DataflowFusion>;
  /** Value bytes of the object's map `map` (lddw src 1's imm), for copies out of map values. */
  readonly valueSize?: (map: number) => number | undefined;
}

export type DataflowFusion = "ctx_read" | "ldx_wide" | "jcc_add" | "copy_wide";
export const DATAFLOW_FUSIONS: readonly DataflowFusion[] = ["ctx_read", "ldx_wide", "jcc_add", "copy_wide"];

function fusePair(a: Op, b: Op): Op | undefined {
  const fa = formOf(a.insn);
  const fb = formOf(b.insn);
  if (!fa || !fb || a.hi || b.hi) return undefined;
  const sa = a.insn;
  const sb = b.insn;
  const aIs32 = (sa.opcode & 7) === 4;
  const bIs32 = (sb.opcode & 7) === 4;
  const aMov = (sa.opcode >> 4) === MOV && sa.off === 0;
  const origin = [...a.origin, ...b.origin];
  // mov r0, imm; exit
  if (aMov && fa.shape === "alu_imm" && sa.dst === 0 && fb.shape === "exit") {
    return { insn: exitImm(sa.imm, aIs32), origin };
  }
  // mov rd, rs; op rd, x
  if (!aMov || fa.shape !== "alu_reg" || sb.dst !== sa.dst) return undefined;
  if (aIs32 && !bIs32) return undefined;
  const op = sb.opcode >> 4;
  if (!ALU3_OPS.has(op)) return undefined;
  if (fb.shape === "unary") return { insn: alu3(bIs32, op, sa.dst, sa.src, { imm: 0 }), origin };
  if (fb.shape === "alu_imm" && sb.off === 0) return { insn: alu3(bIs32, op, sa.dst, sa.src, { imm: sb.imm }), origin };
  if (fb.shape === "alu_reg" && sb.off === 0) return { insn: alu3(bIs32, op, sa.dst, sa.src, { reg: sb.src === sa.dst ? sa.src : sb.src }), origin };
  return undefined;
}

// ------------------------------------------------------------------ ctx reads

function ctxReads(ops: readonly Op[], cx: FuseContext): Op[] {
  return ops.map((op) => {
    const s = op.insn;
    const f = cx.facts[op.origin[0]!];
    // ldxw only: the engine's ctx window answers 4-byte loads (other sizes fault there)
    if (op.hi || s.opcode !== 0x61 || !f || (f.ctx & (1 << s.src)) === 0 || !CTX_FIELDS.has(s.off)) return op;
    return { insn: ctxRead(s.dst, s.off), origin: op.origin };
  });
}

// ------------------------------------------------------------------ bounds-check jumps

/** Jump codes a jcc_add may carry: the conditional ones (not ja, call, exit). */
const JCC_CODES = new Set([0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xa, 0xb, 0xc, 0xd]);

/** rX = rA + k (64-bit): the operand and the constant, or undefined. */
function addImm(op: Op): { rx: number; ra: number; k: number } | undefined {
  const s = op.insn;
  if (op.hi) return undefined;
  if (s.opcode === 0x07 && s.off === 0) return { rx: s.dst, ra: s.dst, k: s.imm };
  if (extForm(s)?.kind === "alu3") {
    const a = alu3Fields(s);
    if (!a.is32 && a.name === "add" && a.rt === undefined) return { rx: a.rd, ra: a.rs, k: a.imm };
  }
  return undefined;
}

function fuseBoundsCheck(ops: readonly Op[], cx: FuseContext): Op[] {
  if (ops.length < 2) return [...ops];
  const jump = ops[ops.length - 1]!;
  const prev = ops[ops.length - 2]!;
  const s = jump.insn;
  const f = formOf(s);
  if (!f || f.shape !== "jmp_reg" || !JCC_CODES.has(s.opcode >> 4)) return [...ops];
  const add = addImm(prev);
  if (!add || add.rx !== s.dst || s.src === add.rx || add.k < JCC_ADD_MIN || add.k > JCC_ADD_MAX) return [...ops];
  const at = jump.origin[0]!;
  const live = cx.liveIn(at + 1) | cx.liveIn(branchTarget(at, s, f)!);
  const is32 = (s.opcode & 7) === 6;
  const head = ops.slice(0, -2);
  if ((live & (1 << add.rx)) === 0) {
    const weight = 1 + slotWeight(prev.insn);
    return [...head, { insn: jccAdd(is32, s.opcode >> 4, add.ra, s.src, add.k, s.off, weight), origin: [...prev.origin, ...jump.origin] }];
  }
  // rX live: the add stays (any lane, same bundle allowed); the jump reads rA, which only
  // works when the add does not overwrite it (rA = rX: the jump would need the old value)
  if (add.ra === add.rx) return [...ops];
  return [...head, prev, { insn: jccAdd(is32, s.opcode >> 4, add.ra, s.src, add.k, s.off, 1), origin: jump.origin }];
}

/** One block's operations with every fusable run fused: combined loads, ctx reads, pairs left to right, the bounds-check jump. */
export function fuseBlock(ops: readonly Op[], cx?: FuseContext): Op[] {
  const on = (k: DataflowFusion): boolean => cx !== undefined && (cx.kinds?.has(k) ?? true);
  const copies = on("copy_wide") ? combineCopiesAndStores(ops, cx!) : ops;
  const wide = on("ldx_wide") ? combineLoads(copies, cx!) : copies;
  const pre = on("ctx_read") ? ctxReads(wide, cx!) : wide;
  const out: Op[] = [];
  for (let i = 0; i < pre.length; i++) {
    const fused = i + 1 < pre.length ? fusePair(pre[i]!, pre[i + 1]!) : undefined;
    if (fused) {
      out.push(fused);
      i++;
    } else out.push(pre[i]!);
  }
  return on("jcc_add") ? fuseBoundsCheck(out, cx!) : out;
}
