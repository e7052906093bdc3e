// A small bundle interpreter with the engine's VLIW meaning (docs/fpga-engine.md,
// "Scheduling"): every slot of a bundle reads the registers as they were at the bundle's
// start, and all writes land at its end; lane 0's jump picks the next bundle; an exit
// returns r0 as its bundle's writes leave it (its bundle's other slots precede it). It runs
// what the scheduler's property test generates (ALU, the extensions, lddw constants,
// stack loads and stores, jumps, exit) so that the scheduler is tested against the
// reference interpreter without Verilator. Calls, maps and packets are the engine's own
// tests' business (test/backends/fpga/). A load outside lane 0 goes through lane 1's read
// port, which never faults: out of every region it reads zero (the engine's reads
// "anything"; the scheduler puts there only loads proven in bounds where the program has
// them, so such a value is dead).
import { formOf, lddwValue } from "../../../ir/bpf/insn.js";
import { ALU_OPS, JMP_OPS, SIZE_BYTES, STACK_SIZE } from "../../../ir/bpf/opcodes.js";
import { alu32, alu64, byteSwap, condition, endian, sext32, signExtend, u32, u64, type AluOp, type JmpOp } from "../../../runtime/interp/alu.js";
import { alu3Fields, extForm, jccAddFields, ldxWideFields, slotWeight } from "./ext.js";
import type { Schedule } from "./schedule.js";

/** Where r10 points: the top of a 512-byte stack (any constant: the tests keep r10 out of results). */
export const BUNDLE_STACK_TOP = 0x10_0000_0200n;
/** XDP runs: where the xdp_md (r1) and the packet's data are (constants, as above). */
export const BUNDLE_CTX = 0x20_0000_0000n;
export const BUNDLE_PACKET = 0x30_0000_0000n;

/** A memory access outside the stack, the packet or the ctx window: the bundle that made it. */
export class BundleFault extends Error {
  constructor(readonly bundle: number, what: string) {
    super(`bundle interpreter: bundle ${bundle}: ${what}`);
  }
}

export interface BundleRun {
  readonly r0: bigint;
  /** BPF instructions retired (a fusion counts as the two it replaces). */
  readonly retired: number;
  readonly bundles: number;
}

const aluName = (code: number): AluOp => ALU_OPS.find((a) => a.code === code)!.name as AluOp;

/** An XDP run: r1 = the xdp_md over this packet (stores write into `packet`). */
export interface BundleXdp {
  readonly packet: Uint8Array;
  readonly ifindex?: number;
  readonly rxQueue?: number;
}

export function runBundles(s: Schedule, opts: { r1?: bigint; maxBundles?: number; xdp?: BundleXdp } = {}): BundleRun {
  const reg = new Array<bigint>(11).fill(0n);
  reg[1] = opts.xdp ? BUNDLE_CTX : opts.r1 ?? 0n;
  reg[10] = BUNDLE_STACK_TOP;
  const stack = new Uint8Array(STACK_SIZE);
  const packet = opts.xdp?.packet ?? new Uint8Array(0);
  const ctxField = (off: number): bigint => {
    switch (off) {
      case 0: case 8: return BUNDLE_PACKET;
      case 4: return BUNDLE_PACKET + BigInt(packet.length);
      case 12: return BigInt(opts.xdp?.ifindex ?? 1);
      case 16: return BigInt(opts.xdp?.rxQueue ?? 0);
      default: return 0n;
    }
  };
  let pc = 0;
  /** The bytes an access may touch: the stack, or (XDP) the packet; else a fault. */
  const at = (addr: bigint, size: number): [Uint8Array, number] => {
    const o = Number(addr - (BUNDLE_STACK_TOP - BigInt(STACK_SIZE)));
    if (o >= 0 && o + size <= STACK_SIZE) return [stack, o];
    const p = Number(addr - BUNDLE_PACKET);
    if (opts.xdp && addr >= BUNDLE_PACKET && p + size <= packet.length) return [packet, p];
    throw new BundleFault(pc, `access at 0x${addr.toString(16)} outside the stack and the packet`);
  };
  const load = (addr: bigint, size: number): bigint => {
    if (opts.xdp && addr >= BUNDLE_CTX && addr < BUNDLE_CTX + 24n) {
      if (size !== 4 || (addr - BUNDLE_CTX) % 4n !== 0n) throw new BundleFault(pc, "ctx access");
      return ctxField(Number(addr - BUNDLE_CTX));
    }
    const [mem, o] = at(addr, size);
    let v = 0n;
    for (let k = size - 1; k >= 0; k--) v = (v << 8n) | BigInt(mem[o + k]!);
    return v;
  };
  // bytes lane 0 writes in the bundle being run: lane 1 reading one of them in the same
  // cycle is a scheduler bug (a read and a write of one block RAM address on two ports)
  let written: [bigint, bigint][] = [];
  const laneLoad = (addr: bigint, size: number): bigint => {
    try {
      const v = load(addr, size);
      if (written.some(([lo, hi]) => addr < hi && lo < addr + BigInt(size))) throw new Error(`bundle interpreter: bundle ${pc}: lane 1 reads bytes lane 0 writes`);
      return v;
    } catch (e) {
      if (e instanceof BundleFault) return 0n;
      throw e;
    }
  };
  const store = (addr: bigint, size: number, v: bigint): void => {
    const [mem, o] = at(addr, size);
    written.push([addr, addr + BigInt(size)]);
    for (let k = 0; k < size; k++) mem[o + k] = Number((v >> BigInt(8 * k)) & 0xffn);
  };
  let retired = 0;
  const max = opts.maxBundles ?? 100_000;
  for (let n = 0; n < max; n++) {
    const bundle = s.bundles[pc];
    if (!bundle) throw new Error(`bundle interpreter: bundle ${pc} past the program`);
    const writes: [number, bigint][] = [];
    written = [];
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
      if (ext?.kind === "ctx_read") {
        writes.push([i.dst, ctxField(i.imm)]);
        continue;
      }
      if (ext?.kind === "ldx_wide") {
        const w = ldxWideFields(i);
        const v = (lane > 0 ? laneLoad : load)(u64(reg[i.src]! + BigInt(i.off)), w.bytes);
        writes.push([i.dst, w.bigEndian ? byteSwap(v, w.bytes * 8) : v]);
        continue;
      }
      if (ext?.kind === "stx_wide") {
        store(u64(reg[i.dst]! + BigInt(i.off)), ldxWideFields(i).bytes, reg[i.src]!);
        continue;
      }
      if (ext?.kind === "jcc_add") {
        const j = jccAddFields(i);
        const jmp = JMP_OPS.find((o) => o.code === j.code << 4)!.name as JmpOp;
        if (condition(jmp, u64(reg[j.ra]! + BigInt(j.k)), reg[j.rb]!, j.is32 ? 32 : 64)) next = pc + 1 + i.off;
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
          const v = (lane > 0 ? laneLoad : load)(u64(reg[i.src]! + BigInt(i.off)), size);
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
