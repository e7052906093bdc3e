// Peephole fusions onto the engine's extensions (ext.ts), within one basic block: the
// pair must be adjacent and the second must not be a branch target (it is not a block
// leader), so no path reaches the second without the first. Each rewrite keeps the
// meaning exactly (RFC 9669 §4.1):
//   mov64 rd, rs; op{32,64} rd, x  ->  rd = rs op x      (op32 reads the low half of rd = rs)
//   mov32 rd, rs; op32 rd, x       ->  rd = rs op32 x    (not op64: mov32 zero-extends first)
//   x = rd as a register operand reads rs (the value rd holds between the two)
//   mov64 r0, imm; exit            ->  exit imm (r0 = sext imm); mov32 r0, imm: zext imm
import { formOf } from "../../../ir/bpf/insn.js";
import { alu3, ALU3_OPS, exitImm } from "./ext.js";
import type { Op } from "./ops.js";

const MOV = 0xb;

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

/** One block's operations with every fusable adjacent pair fused, left to right. */
export function fuseBlock(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < ops.length; i++) {
    const fused = i + 1 < ops.length ? fusePair(ops[i]!, ops[i + 1]!) : undefined;
    if (fused) {
      out.push(fused);
      i++;
    } else out.push(ops[i]!);
  }
  return out;
}
