// Constant folding and propagation.
// Needs: valid IR. Keeps: valid IR, the same behaviour.
//   - an operation whose operands are all immediates becomes its value, with the
//     interpreter's own arithmetic (runtime/interp/alu.ts): one meaning of `sdiv32`;
//   - `const` is replaced by its immediate at every use;
//   - a block parameter that receives the same immediate or value on every edge is that;
//   - `br_if` on a known condition becomes `br`.
import { alu32, alu64, condition, endian, signExtend, u64, type AluOp, type JmpOp } from "../../runtime/interp/alu.js";
import { imm, originOf, type Arg, type Func, type Module, type Terminator } from "../core/ir.js";
import { BINARY } from "../core/ops.js";
import { predecessors, substitute } from "./util.js";

const TO_ALU: Record<string, AluOp> = { add: "add", sub: "sub", mul: "mul", udiv: "div", sdiv: "sdiv", urem: "mod", srem: "smod", and: "and", or: "or", xor: "xor", shl: "lsh", lshr: "rsh", ashr: "arsh" };
const TO_JMP: Record<string, JmpOp> = { eq: "jeq", ne: "jne", ugt: "jgt", uge: "jge", ult: "jlt", ule: "jle", sgt: "jsgt", sge: "jsge", slt: "jslt", sle: "jsle", set: "jset" };
const signed = (v: bigint): bigint => BigInt.asIntN(64, v);

/** The value of an operation on immediates, or undefined when it is not foldable. */
export function foldOp(op: string, args: readonly bigint[]): bigint | undefined {
  const [a = 0n, b = 0n] = args.map(u64);
  const base = op.replace(/32$/, "");
  if ((BINARY as readonly string[]).includes(base) && args.length === 2) return signed((op.endsWith("32") ? alu32 : alu64)(TO_ALU[base]!, a, b));
  if (op === "ptradd") return undefined;
  const cmp = /^icmp(32)?\.(\w+)$/.exec(op);
  if (cmp) return condition(TO_JMP[cmp[2]!]!, a, b, cmp[1] ? 32 : 64) ? 1n : 0n;
  switch (op) {
    case "const": return signed(a);
    case "neg": return signed(alu64("neg", a, 0n));
    case "neg32": return signed(alu32("neg", a, 0n));
    case "zext32": return a & 0xffffffffn;
    case "sext8": case "sext16": case "sext32": return signed(signExtend(a, Number(op.slice(4))));
    case "sext8_32": return signExtend(a, 8) & 0xffffffffn;
    case "sext16_32": return signExtend(a, 16) & 0xffffffffn;
  }
  const end = /^(be|le|bswap)(16|32|64)$/.exec(op);
  if (end) return signed(endian(end[1] as "be" | "le" | "bswap", a, Number(end[2])));
  return undefined;
}

const isImm = (a: Arg | undefined, v: bigint) => a?.kind === "imm" && a.value === v;

/** x + 0, 0 + x, x - 0, x * 1, x | 0, x ^ 0, x << 0, ptradd x, 0 ... are x (64-bit forms only: 32-bit ones truncate). */
function identity(op: string, args: readonly Arg[]): Arg | undefined {
  const [a, b] = args;
  if (!a || !b) return undefined;
  switch (op) {
    case "add": case "or": case "xor":
      return isImm(b, 0n) ? a : isImm(a, 0n) ? b : undefined;
    case "sub": case "shl": case "lshr": case "ashr": case "ptradd":
      return isImm(b, 0n) ? a : undefined;
    case "mul":
      return isImm(b, 1n) ? a : isImm(a, 1n) ? b : undefined;
    default:
      return undefined;
  }
}

function foldFunc(f: Func): Func {
  for (let round = 0; round < 100; round++) {
    const known = new Map<number, Arg>();
    for (const b of f.blocks) {
      for (const i of b.insts) {
        if (i.result === undefined || i.op === "select") continue;
        if (i.args.every((a) => a.kind === "imm")) {
          const v = foldOp(i.op, i.args.map((a) => (a as { value: bigint }).value));
          if (v !== undefined) known.set(i.result, imm(v));
        }
      }
      for (const i of b.insts) {
        const [c, x, y] = i.args;
        if (i.op === "select" && i.result !== undefined && c?.kind === "imm") known.set(i.result, c.value !== 0n ? x! : y!);
        const id = identity(i.op, i.args);
        if (id && i.result !== undefined) known.set(i.result, id);
      }
    }
    // Block parameters with one incoming value on every edge.
    const preds = predecessors(f);
    for (const b of f.blocks.slice(1)) {
      if (!preds.get(b.name)!.length) continue;
      const incoming = f.blocks.flatMap((p) => (p.term.op === "br" ? [p.term.to] : p.term.op === "br_if" ? [p.term.then, p.term.else] : [])).filter((c) => c.block === b.name);
      b.params.forEach((p, k) => {
        const vals = incoming.map((c) => c.args[k]!).filter((a) => !(a.kind === "value" && a.id === p.id));
        const first = vals[0];
        if (first && vals.every((a) => (a.kind === "imm" && first.kind === "imm" && a.value === first.value) || (a.kind === "value" && first.kind === "value" && a.id === first.id))) known.set(p.id, first);
      });
    }
    // Branches on known conditions.
    let changed = known.size > 0;
    f = substitute(f, known);
    f = {
      ...f,
      blocks: f.blocks.map((b) => {
        // Instructions whose results are now immediates are dead: DCE removes them.
        const t = b.term;
        if (t.op === "br_if" && t.cond.kind === "imm") {
          changed = true;
          const term: Terminator = { op: "br", to: t.cond.value !== 0n ? t.then : t.else, ...originOf(t) };
          return { ...b, term };
        }
        return b;
      }),
    };
    // Drop the instructions that became immediates (no effects by construction).
    f = { ...f, blocks: f.blocks.map((b) => ({ ...b, insts: b.insts.filter((i) => !(i.result !== undefined && known.has(i.result))) })) };
    // Drop parameters that became immediates, and their arguments on every edge.
    const dropped = new Map(f.blocks.map((b) => [b.name, b.params.map((p) => known.has(p.id))]));
    if ([...dropped.values()].some((d) => d.some(Boolean))) {
      const keep = (block: string, args: readonly Arg[]) => args.filter((_, k) => !dropped.get(block)![k]);
      f = {
        ...f,
        blocks: f.blocks.map((b, bi) => {
          const t = b.term;
          const term: Terminator = t.op === "br" ? { op: "br", to: { block: t.to.block, args: keep(t.to.block, t.to.args) }, ...originOf(t) } : t.op === "br_if" ? { ...t, then: { block: t.then.block, args: keep(t.then.block, t.then.args) }, else: { block: t.else.block, args: keep(t.else.block, t.else.args) } } : t;
          return { ...b, params: bi === 0 ? b.params : b.params.filter((p) => !known.has(p.id)), term };
        }),
      };
    }
    if (!changed) break;
  }
  return f;
}

export function constFold(m: Module): Module {
  return { ...m, funcs: m.funcs.map(foldFunc) };
}
