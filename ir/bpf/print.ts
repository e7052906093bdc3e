// The disassembler: slots → text, in two syntaxes.
//   "ubpf": the assembler syntax of ubpf and the conformance suite; assemble(print(p)) == p.
//   "llvm": llvm-objdump's C-like syntax (`r0 = *(u16 *)(r1 + 2)`), for users comparing with clang.
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, SIZE_BYTES } from "./opcodes.js";
import { formOf, isLddw, lddwValue, type Insn } from "./insn.js";

export type Syntax = "ubpf" | "llvm";

export interface PrintOptions {
  syntax?: Syntax;
  /** Map names by index, for lddw map references. */
  mapNames?: readonly string[];
  /** Function names by first slot: printed as labels and used by `call local`. */
  functions?: ReadonlyMap<number, string>;
  /** Prefix each line with its slot index (listings; not re-assemblable). */
  addresses?: boolean;
}

const sgn = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

/** Small immediates in decimal, large ones as their 32-bit pattern in hex (both re-assemble). */
function immText(v: number): string {
  return Math.abs(v) < 0x10000 ? String(v) : `0x${(v >>> 0).toString(16)}`;
}

const aluName = (op: number): string => ALU_OPS.find((a) => a.code === (op & 0xf0))!.name;
const jmpOp = (op: number) => JMP_OPS.find((j) => j.code === (op & 0xf0))!;
const atomicOp = (imm: number) => ATOMIC_OPS.find((a) => a.imm === imm)!;
const SIZE_TYPE: Record<number, string> = { 1: "u8", 2: "u16", 4: "u32", 8: "u64" };

function mapRef(kind: string, idx: number, names: readonly string[] | undefined): string {
  return `${kind}(${names?.[idx] ?? `map_${idx}`})`;
}

/** One instruction (and, for lddw, its second slot) in ubpf syntax. */
export function printUbpf(s: Insn, next: Insn | undefined, at: number, opts: PrintOptions = {}): string {
  const f = formOf(s);
  if (!f) return `# invalid instruction 0x${s.opcode.toString(16)}`;
  const r = (n: number) => `%r${n}`;
  const memOperand = (base: number, off: number) => `[${r(base)}${sgn(off)}]`;
  switch (f.shape) {
    case "alu_imm":
      return `${f.mnemonic} ${r(s.dst)}, ${immText(s.imm)}`;
    case "alu_reg":
    case "movsx":
      return `${f.mnemonic} ${r(s.dst)}, ${r(s.src)}`;
    case "unary":
    case "end":
    case "callx":
      return `${f.mnemonic} ${r(s.dst)}`;
    case "ldx":
      return `${f.mnemonic} ${r(s.dst)}, ${memOperand(s.src, s.off)}`;
    case "st":
      return `${f.mnemonic} ${memOperand(s.dst, s.off)}, ${immText(s.imm)}`;
    case "stx":
    case "atomic":
      return `${f.mnemonic} ${memOperand(s.dst, s.off)}, ${r(s.src)}`;
    case "lddw": {
      const value = next ? lddwValue(s, next) : BigInt(s.imm >>> 0);
      if (f.fixed.src === 1) return `lddw ${r(s.dst)}, ${mapRef("map", s.imm, opts.mapNames)}`;
      if (f.fixed.src === 2) return `lddw ${r(s.dst)}, ${mapRef("map_value", s.imm, opts.mapNames)}${sgn(next?.imm ?? 0)}`;
      if (f.fixed.src === 0) return `lddw ${r(s.dst)}, 0x${value.toString(16)}`;
      return `# lddw ${r(s.dst)} with pseudo source ${f.fixed.src}, imm ${s.imm}, next ${next?.imm ?? 0}`;
    }
    case "ldabs":
      return `${f.mnemonic} ${immText(s.imm)}`;
    case "ldind":
      return `${f.mnemonic} ${r(s.src)}, ${immText(s.imm)}`;
    case "ja":
      return `ja ${sgn(s.off)}`;
    case "ja32":
      return `ja32 ${sgn(s.imm)}`;
    case "jmp_imm":
      return `${f.mnemonic} ${r(s.dst)}, ${immText(s.imm)}, ${sgn(s.off)}`;
    case "jmp_reg":
      return `${f.mnemonic} ${r(s.dst)}, ${r(s.src)}, ${sgn(s.off)}`;
    case "call": {
      if (f.fixed.src === 1) {
        const name = opts.functions?.get(at + 1 + s.imm);
        return `call local ${name ?? sgn(s.imm)}`;
      }
      return f.fixed.src === 2 ? `call kfunc ${s.imm}` : `call ${s.imm}`;
    }
    case "exit":
      return "exit";
  }
}

/** One instruction in llvm-objdump's syntax. */
export function printLlvm(s: Insn, next: Insn | undefined, _at: number, opts: PrintOptions = {}): string {
  const f = formOf(s);
  if (!f) return `<invalid 0x${s.opcode.toString(16)}>`;
  const is32 = (s.opcode & 7) === 4 || (s.opcode & 7) === 6;
  const R = (n: number) => `${is32 ? "w" : "r"}${n}`;
  const size = SIZE_BYTES[s.opcode & 0x18]!;
  const addr = (base: number, off: number) => `(r${base} ${off < 0 ? "-" : "+"} ${Math.abs(off)})`;
  switch (f.shape) {
    case "alu_imm":
    case "alu_reg": {
      const rhs = f.shape === "alu_imm" ? String(s.imm) : R(s.src);
      const name = aluName(s.opcode);
      const signed = s.off === 1 ? "s" : "";
      const sym = ALU_OPS.find((a) => a.name === name)!.sym;
      return `${R(s.dst)} ${signed}${sym} ${rhs}`;
    }
    case "unary":
      return `${R(s.dst)} = -${R(s.dst)}`;
    case "movsx":
      return `${R(s.dst)} = (s${s.off})${R(s.src)}`;
    case "end": {
      const kind = f.mnemonic.replace(/\d+$/, "");
      return `r${s.dst} = ${kind}${s.imm} r${s.dst}`;
    }
    case "ldx": {
      // As llvm-objdump --mcpu=v3 and later print them: narrow zero-extending loads write wN.
      const sx = f.mnemonic.startsWith("ldxs");
      return `${sx || size === 8 ? "r" : "w"}${s.dst} = *(${sx ? "s" : "u"}${size * 8} *)${addr(s.src, s.off)}`;
    }
    case "st":
      return `*(${SIZE_TYPE[size]} *)${addr(s.dst, s.off)} = ${s.imm}`;
    case "stx":
      return `*(${SIZE_TYPE[size]} *)${addr(s.dst, s.off)} = ${size === 8 ? "r" : "w"}${s.src}`;
    case "atomic": {
      const w = size === 8 ? "r" : "w";
      const a = atomicOp(s.imm);
      if (a.name === "xchg") return `${w}${s.src} = xchg${size === 8 ? "" : "32"}_${size * 8}(${addr(s.dst, s.off).slice(1, -1)}, ${w}${s.src})`;
      if (a.name === "cmpxchg") return `${w}0 = cmpxchg${size === 8 ? "" : "32"}_${size * 8}(${addr(s.dst, s.off).slice(1, -1)}, ${w}0, ${w}${s.src})`;
      const base = a.name.replace("fetch ", "");
      const sym = ALU_OPS.find((o) => o.name === base)!.sym;
      if (a.name.startsWith("fetch")) return `${w}${s.src} = atomic_fetch_${base}((${SIZE_TYPE[size]} *)${addr(s.dst, s.off)}, ${w}${s.src})`;
      return `lock *(${SIZE_TYPE[size]} *)${addr(s.dst, s.off)} ${sym} ${w}${s.src}`;
    }
    case "lddw": {
      if (f.fixed.src === 1) return `r${s.dst} = ${opts.mapNames?.[s.imm] ?? `map_${s.imm}`} ll`;
      if (f.fixed.src === 2) return `r${s.dst} = ${opts.mapNames?.[s.imm] ?? `map_${s.imm}`} + ${next?.imm ?? 0} ll`;
      return `r${s.dst} = 0x${(next ? lddwValue(s, next) : 0n).toString(16)} ll`;
    }
    case "ldabs":
      return `r0 = *(u${size * 8} *)skb[${s.imm}]`;
    case "ldind":
      return `r0 = *(u${size * 8} *)skb[r${s.src} + ${s.imm}]`;
    case "ja":
      return `goto ${sgn(s.off)}`;
    case "ja32":
      return `gotol ${sgn(s.imm)}`;
    case "jmp_imm":
    case "jmp_reg": {
      const j = jmpOp(s.opcode);
      const rhs = f.shape === "jmp_imm" ? String(s.imm) : R(s.src);
      return `if ${R(s.dst)} ${j.sym} ${rhs} goto ${sgn(s.off)}`;
    }
    case "call":
      return `call ${s.imm}`;
    case "callx":
      return `callx r${s.dst}`;
    case "exit":
      return "exit";
  }
}

/** A whole program, one instruction per line, with function labels. */
export function printProgram(slots: readonly Insn[], opts: PrintOptions = {}): string {
  const syntax = opts.syntax ?? "ubpf";
  const lines: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const fn = opts.functions?.get(i);
    if (fn !== undefined && (i !== 0 || syntax === "llvm" || fn !== "main")) lines.push(syntax === "llvm" ? `<${fn}>:` : `${fn}:`);
    const s = slots[i]!;
    const next = isLddw(s) ? slots[i + 1] : undefined;
    const text = syntax === "llvm" ? printLlvm(s, next, i, opts) : printUbpf(s, next, i, opts);
    lines.push(opts.addresses ? `${String(i).padStart(5)}: ${text}` : text);
    if (next) i++;
  }
  return lines.join("\n") + "\n";
}
