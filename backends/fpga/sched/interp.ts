// A small bundle interpreter with the engine's VLIW meaning (docs/fpga-engine.md,
// "Scheduling"): every slot of a bundle reads the registers as they were at the bundle's
// start, and all writes land at its end; lane 0's jump picks the next bundle; an exit
// returns r0 as its bundle's writes leave it (its bundle's other slots precede it). It runs
// what the scheduler's property test generates (ALU, the extensions, lddw constants,
// stack loads and stores, jumps, exit) so that the scheduler is tested against the
// reference interpreter without Verilator. Calls, maps and packets are the engine's own
// tests' business (test/backends/fpga/).
import { formOf, lddwValue } from "../../../ir/bpf/insn.js";
import { ALU_OPS, JMP_OPS, SIZE_BYTES, STACK_SIZE } from "../../../ir/bpf/opcodes.js";
import { alu32, alu64, condition, endian, sext32, signExtend, u32, u64, type AluOp, type JmpOp } from "../../../runtime/interp/alu.js";
import { alu3Fields, extForm, slotWeight } from "./ext.js";
import type { Schedule } from "./schedule.js";

/** Where r10 points: the top of a 512-byte stack (any constant: the tests keep r10 out of results). */
export const BUNDLE_STACK_TOP = 0x10_0000_0200n;

export interface BundleRun {
  readonly r0: bigint;
  /** BPF instructions retired (a fusion counts as the two it replaces). */
  readonly retired: number;
  readonly bundles: number;
}

const aluName = (code: number): AluOp => ALU_OPS.find((a) => a.code === code)!.name as AluOp;

export function runBundles(s: Schedule, opts: { r1?: bigint; maxBundles?: number } = {}): BundleRun {
  const reg = new Array<bigint>(11).fill(0n);
  reg[1] = opts.r1 ?? 0n;
  reg[10] = BUNDLE_STACK_TOP;
  const stack = new Uint8Array(STACK_SIZE);
  const at = (addr: bigint, size: number): number => {
    const o = Number(addr - (BUNDLE_STACK_TOP - BigInt(STACK_SIZE)));
    if (!(o >= 0 && o + size <= STACK_SIZE)) throw new Error(`bundle interpreter: access at 0x${addr.toString(16)} outside the stack`);
    return o;
  };
  const load = (addr: bigint, size: number): bigint => {
    const o = at(addr, size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(stack[o + k]!);
    return v;
  };
  const store = (addr: bigint, size: number, v: bigint): void => {
    const o = at(addr, size);
    for (let k = 0; k < size; k++) stack[o + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  };
  let pc = 0;
  let retired = 0;
  const max = opts.maxBundles ?? 100_000;
  for (let n = 0; n < max; n++) {
    const bundle = s.bundles[pc];
    if (!bundle) throw new Error(`bundle interpreter: bundle ${pc} past the program`);
    const writes: [number, bigint][] = [];
    let next = pc + 1;
    let exit: bigint | undefined;
    let exitReadsR0 = false;
    for (let lane = 0; lane < bundle.length; lane++) {
      const slot = bundle[lane];
      if (!slot || slot.origin.length === 0) continue;
      retired += slotWeight(slot.insn);
      const i = slot.insn;
      const ext = extForm(i);
      if (ext?.kind === "alu3") {
        const a = alu3Fields(i);
        const b = a.rt !== undefined ? reg[a.rt]! : a.is32 ? BigInt(a.imm >>> 0) : sext32(a.imm);
        writes.push([a.rd, a.is32 ? alu32(a.name, reg[a.rs]!, b) : alu64(a.name, reg[a.rs]!, b)]);
        continue;
      }
      if (ext?.kind === "exit_imm") {
        exit = i.off === 1 ? BigInt(i.imm >>> 0) : sext32(i.imm);
        continue;
      }
      const f = formOf(i);
      if (!f) throw new Error(`bundle interpreter: opcode 0x${i.opcode.toString(16)}`);
      const is32 = (i.opcode & 7) === 4 || (i.opcode & 7) === 6;
      const code = i.opcode & 0xf0;
      const size = SIZE_BYTES[i.opcode & 0x18] ?? 8;
      switch (f.shape) {
        case "alu_imm":
        case "alu_reg":
        case "unary": {
          const op = aluName(code);
          const b = f.shape === "alu_reg" ? reg[i.src]! : is32 ? BigInt(i.imm >>> 0) : sext32(i.imm);
          const name: AluOp = i.off === 1 && (op === "div" || op === "mod") ? (`s${op}` as AluOp) : op;
          writes.push([i.dst, is32 ? alu32(name, reg[i.dst]!, b) : alu64(name, reg[i.dst]!, b)]);
          break;
        }
        case "movsx": {
          const v = signExtend(reg[i.src]!, i.off);
          writes.push([i.dst, is32 ? u32(v) : v]);
          break;
        }
        case "end":
          writes.push([i.dst, endian(f.mnemonic.replace(/\d+$/, "") as "le" | "be" | "bswap", reg[i.dst]!, i.imm)]);
          break;
        case "lddw": {
          // the second half: lane 1, or on one lane the next bundle (which is skipped)
          const hi = bundle.length > 1 ? bundle[lane + 1]! : s.bundles[pc + 1]![0]!;
          if (bundle.length === 1) next = pc + 2;
          writes.push([i.dst, lddwValue(i, hi.insn)]);
          break;
        }
        case "ldx": {
          const v = load(u64(reg[i.src]! + BigInt(i.off)), size);
          writes.push([i.dst, (i.opcode & 0xe0) === 0x80 ? signExtend(v, size * 8) : v]);
          break;
        }
        case "st":
          store(u64(reg[i.dst]! + BigInt(i.off)), size, sext32(i.imm));
          break;
        case "stx":
          store(u64(reg[i.dst]! + BigInt(i.off)), size, reg[i.src]!);
          break;
        case "ja":
          next = pc + 1 + i.off;
          break;
        case "ja32":
          next = pc + 1 + i.imm;
          break;
        case "jmp_imm":
        case "jmp_reg": {
          const b = f.shape === "jmp_reg" ? reg[i.src]! : is32 ? BigInt(i.imm >>> 0) : sext32(i.imm);
          const jmp = JMP_OPS.find((j) => j.code === code)!.name as JmpOp;
          if (condition(jmp, reg[i.dst]!, b, is32 ? 32 : 64)) next = pc + 1 + i.off;
          break;
        }
        case "exit":
          exitReadsR0 = true;       // after the bundle's writes (its other slots precede it)
          break;
        default:
          throw new Error(`bundle interpreter: ${f.mnemonic} is not modelled`);
      }
    }
    const seen = new Set<number>();
    for (const [r, v] of writes) {
      if (seen.has(r)) throw new Error(`bundle ${pc}: two slots write r${r}`);
      seen.add(r);
      reg[r] = v;
    }
    if (exitReadsR0) exit = reg[0]!;
    if (exit !== undefined) return { r0: exit, retired, bundles: n + 1 };
    pc = next;
  }
  throw new Error("bundle interpreter: step limit");
}
