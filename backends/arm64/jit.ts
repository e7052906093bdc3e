// BPF -> AArch64 machine code with a fixed register map, as the Linux arm64 JIT does
// (arch/arm64/net/bpf_jit_comp.c); the same design as backends/x86_64/jit.ts, whose
// comments say why (docs/native.md): the IR's register-allocated BPF form, one host
// register per BPF register, every memory access checked, faults through rt->fault.
//
// AAPCS64 (Arm IHI 0055): arguments in x0-x7, result in x0, x19-x28 callee-saved, x29
// the frame pointer, x30 the link register, sp 16-byte aligned; x16/x17 (IP0/IP1) are
// free for veneers, so we use x16 for indirect calls; x18 (platform register) is left alone.
import { formOf } from "../../ir/bpf/insn.js";
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, SIZE_BYTES } from "../../ir/bpf/opcodes.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { diag, DiagnosticError } from "../../ir/diag/diag.js";
import { FAULT, infoWord, MAP_DESC, RT, RT_MAPS, STACK_BYTES, STACK_FRAME, valueStride } from "../common/native-abi.js";
import type { NativeProgram } from "../common/native-backend.js";
import { beginTranslation, lddwMeaning } from "../common/native-translation.js";
import { A64Emitter, SP, XZR, type Cond, type DpReg, type Reg } from "./encode.js";

/**
 * BPF register -> AArch64 register (the Linux arm64 JIT's bpf2a64): r1-r5 are the first
 * five argument registers, so helper calls need no moves; r0 is x7, not x0, so that r1
 * (x0) survives until a call; r6-r9 and r10 are callee-saved.
 */
export const BPF_REG: readonly Reg[] = [
  7, // r0 (moved to x0 at exit and from x0 after a helper)
  0, // r1: ctx
  1, // r2: raw: input length
  2, // r3
  3, // r4
  4, // r5
  19, // r6: callee-saved
  20, // r7
  21, // r8
  22, // r9
  25, // r10: the frame pointer
];

const RT_REG = 26; // struct bpfoff_rt *, callee-saved, for the whole run
const ADDR = 9; // the address of a checked access
const TMP = 10; // scratch; the info word of a slow check
const TMP2 = 11; // scratch
const TMP3 = 12; // scratch: exclusive-store status, atomics
const CALL = 16; // IP0: the target of indirect calls (AAPCS64 §6.4)

const JCC: Readonly<Record<string, Cond>> = { jeq: "eq", jne: "ne", jgt: "hi", jge: "hs", jlt: "lo", jle: "ls", jsgt: "gt", jsge: "ge", jslt: "lt", jsle: "le", jset: "ne" };
const REG_ALU: Readonly<Record<string, DpReg>> = { add: "add", sub: "sub", or: "orr", and: "and", xor: "eor", lsh: "lslv", rsh: "lsrv", arsh: "asrv" };
const ATOMIC_ALU: Readonly<Record<string, DpReg>> = { add: "add", or: "orr", and: "and", xor: "eor" };

export function compileA64(object: BpfObject, program: number, type: "raw" | "xdp"): NativeProgram {
  const e = new A64Emitter();
  const t = beginTranslation(object, program, type, "arm64", e);
  const { ctxLoads, proven, slots, problems, labels, callLabels, starts, targets, inSub, stubs, faultAt, offsets, helpers, unsupported } = t;
  const n = slots.length;
  const slowCheck = e.newLabel();
  const epilogue = e.newLabel();
  let inlined = 0;

  /** rd = rn + k for any 32-bit k (ADD/SUB immediate, or through TMP2). */
  const addConst = (rd: Reg, rn: Reg, k: number): void => {
    if (k >= 0 && k < 4096) e.dpImm("add", 64, rd, rn, k);
    else if (k < 0 && k > -4096) e.dpImm("sub", 64, rd, rn, -k);
    else {
      e.movImm(64, TMP2, BigInt(k));
      e.dpReg("add", 64, rd, rn, TMP2);
    }
  };

  // ---------------------------------------------------------------- prologue
  e.stpPre(29, 30, SP, -16);
  e.movSp(29, SP);
  e.stpPre(19, 20, SP, -16);
  e.stpPre(21, 22, SP, -16);
  e.stpPre(25, 26, SP, -16);
  e.dpImm("sub", 64, SP, SP, STACK_BYTES);
  e.mov(64, RT_REG, 2);
  // Zeroed registers and frame 0, as the interpreter starts (deeper frames: zeroNewFrame).
  e.dpImm("add", 64, ADDR, SP, STACK_BYTES - STACK_FRAME);
  e.ldst("str", 8, ADDR, RT_REG, RT.stackZeroed);
  zeroFrame(e, ADDR);
  e.movSp(ADDR, SP);
  e.ldst("str", 8, ADDR, RT_REG, RT.stackLo);
  e.dpImm("add", 64, TMP, ADDR, STACK_BYTES);
  e.ldst("str", 8, TMP, RT_REG, RT.stackHi);
  e.dpImm("add", 64, TMP, ADDR, 2 * STACK_FRAME);
  e.ldst("str", 8, TMP, RT_REG, RT.callLimit);
  e.dpImm("add", 64, BPF_REG[10]!, ADDR, STACK_BYTES);
  for (const r of [7, 2, 3, 4, 19, 20, 21, 22]) e.movImm(64, r, 0n);

  const access = (pc: number, base: number, off: number, size: number, store: boolean): { rn: Reg; off: number } => {
    const info = infoWord(pc, size, store, FAULT.mem);
    if (base === 10) {
      if (off >= -STACK_FRAME && off + size <= 0) {
        if (A64Emitter.fitsLdst(size, off)) return { rn: BPF_REG[10]!, off };
        addConst(ADDR, BPF_REG[10]!, off);
        return { rn: ADDR, off: 0 };
      }
      addConst(ADDR, BPF_REG[10]!, off);
      e.b(faultAt(info));
      return { rn: ADDR, off: 0 };
    }
    const ok = e.newLabel();
    addConst(ADDR, BPF_REG[base]!, off);
    for (const [lo, hi] of [[RT.regionLo, RT.regionHi], [RT.stackLo, RT.stackHi], [RT.valueLo, RT.valueHi]] as const) {
      const next = e.newLabel();
      e.ldst("ldr", 8, TMP, RT_REG, lo);
      e.dpReg("subs", 64, XZR, ADDR, TMP);
      e.bcond("lo", next);
      e.dpImm("add", 64, TMP, ADDR, size);
      e.ldst("ldr", 8, TMP2, RT_REG, hi);
      e.dpReg("subs", 64, XZR, TMP, TMP2);
      e.bcond("ls", ok);
      e.bind(next);
    }
    e.movImm(64, TMP, BigInt(info));
    e.bl(slowCheck);
    e.bind(ok);
    return { rn: ADDR, off: 0 };
  };

  /** [rn + off] without a check: encoded directly when it fits, else through x9. */
  const direct = (rn: Reg, off: number, size: number): { rn: Reg; off: number } => {
    if (A64Emitter.fitsLdst(size, off)) return { rn, off };
    addConst(ADDR, rn, off);
    return { rn: ADDR, off: 0 };
  };

  /** The second operand of an ALU or jump with an immediate: in TMP. */
  const immOperand = (w: 32 | 64, imm: number): Reg => {
    e.movImm(w, TMP, w === 32 ? BigInt(imm >>> 0) : BigInt(imm));
    return TMP;
  };

  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (starts.has(i)) {
      e.bind(callLabels.get(i)!);
      if (i !== 0) {
        e.stpPre(29, 30, SP, -16);
        e.stpPre(19, 20, SP, -16);
        e.stpPre(21, 22, SP, -16);
        e.stpPre(25, 26, SP, -16);
        e.dpImm("sub", 64, BPF_REG[10]!, BPF_REG[10]!, STACK_FRAME);
      }
    }
    e.bind(labels[i]!);
    offsets[i] = e.size;
    if (!f) {
      problems.push(diag("enc-opcode", { insn: i }, [s.opcode.toString(16)]));
      continue;
    }
    const cls = s.opcode & 7;
    const w = cls === 4 || cls === 6 ? 32 : 64;
    const d = BPF_REG[s.dst]!;
    const src = BPF_REG[s.src]!;
    const code = s.opcode & 0xf0;
    switch (f.shape) {
      case "alu_imm":
      case "alu_reg":
      case "unary": {
        const base = ALU_OPS.find((a) => a.code === code)!.name;
        const op = s.off === 1 && (base === "div" || base === "mod") ? `s${base}` : base;
        const reg = f.shape === "alu_reg";
        if (op === "neg") {
          e.dpReg("sub", w, d, XZR, d);
        } else if (op === "mov") {
          if (reg) e.mov(w, d, src);
          else e.movImm(w, d, w === 32 ? BigInt(s.imm >>> 0) : BigInt(s.imm));
        } else if (!reg && (op === "add" || op === "sub") && Math.abs(s.imm) < 4096) {
          const k = s.imm;
          // imm of a 32-bit op: its low 32 bits; add of a negative is a sub.
          e.dpImm((op === "add") === (k >= 0) ? "add" : "sub", w, d, d, Math.abs(k));
        } else if (!reg && (op === "lsh" || op === "rsh" || op === "arsh")) {
          const k = s.imm & (w - 1);
          if (k === 0) e.mov(w, d, d);
          else e.shiftImm(op === "lsh" ? "lsl" : op === "rsh" ? "lsr" : "asr", w, d, d, k);
        } else {
          const b = reg ? src : immOperand(w, s.imm);
          if (REG_ALU[op]) e.dpReg(REG_ALU[op], w, d, d, b);
          else if (op === "mul") e.mulAdd(false, w, d, d, b, XZR);
          else if (op === "div" || op === "sdiv") e.dpReg(op === "div" ? "udiv" : "sdiv", w, d, d, b);
          else {
            // mod: d - (d / b) * b; with b = 0 the quotient is 0 and d stays (RFC 9669 §4.1).
            e.dpReg(op === "mod" ? "udiv" : "sdiv", w, TMP2, d, b);
            e.mulAdd(true, w, d, TMP2, b, d);
          }
        }
        break;
      }
      case "movsx": {
        const bits = s.off;
        e.bitfield(w === 64 ? "sbfm64" : "sbfm32", d, src, 0, bits - 1);
        break;
      }
      case "end": {
        const kind = f.mnemonic.replace(/\d+$/, "");
        if (kind === "le") {
          if (s.imm === 16) e.bitfield("ubfm32", d, d, 0, 15);
          else if (s.imm === 32) e.mov(32, d, d);
        } else if (s.imm === 16) {
          e.rev("rev16", d, d);
          e.bitfield("ubfm32", d, d, 0, 15);
        } else e.rev(s.imm === 32 ? "rev32" : "rev64", d, d);
        break;
      }
      case "ldx": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        const m = ctxLoads.has(i) || proven.has(i) ? direct(src, s.off, size) : access(i, s.src, s.off, size, false);
        e.ldst((s.opcode & 0xe0) === 0x80 ? "ldrs" : "ldr", size, d, m.rn, m.off);
        break;
      }
      case "st": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        const m = proven.has(i) ? direct(d, s.off, size) : access(i, s.dst, s.off, size, true);
        e.movImm(64, TMP, BigInt(s.imm));
        e.ldst("str", size, TMP, m.rn, m.off);
        break;
      }
      case "stx": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        const m = proven.has(i) ? direct(d, s.off, size) : access(i, s.dst, s.off, size, true);
        e.ldst("str", size, src, m.rn, m.off);
        break;
      }
      case "atomic": {
        const size = SIZE_BYTES[s.opcode & 0x18]! as 4 | 8;
        const m = access(i, s.dst, s.off, size, true);
        if (m.rn !== ADDR || m.off !== 0) addConst(ADDR, m.rn, m.off);
        atomic(e, ATOMIC_OPS.find((a) => a.imm === s.imm)!.name, size, src);
        break;
      }
      case "lddw": {
        const m = lddwMeaning(slots, i, object.maps.length, unsupported);
        const desc = (idx: number): number => RT_MAPS + idx * MAP_DESC.size;
        if ("code" in m) problems.push(m);
        else if (m.kind === "imm") e.movImm(64, d, m.value);
        else if (m.kind === "map") e.dpImm("add", 64, d, RT_REG, desc(m.map));
        else {
          e.ldst("ldr", 8, d, RT_REG, desc(m.map) + MAP_DESC.values);
          if (m.off !== 0) addConst(d, d, m.off);
        }
        offsets[i + 1] = offsets[i]!;
        if (targets.has(i + 1)) {
          const after = e.newLabel();
          e.b(after);
          e.bind(labels[i + 1]!);
          e.b(faultAt(infoWord(i + 1, 0, false, FAULT.fellOff)));
          e.bind(after);
        } else e.bind(labels[i + 1]!);
        i++;
        continue;
      }
      case "ja":
      case "ja32":
        e.b(t.jumpLabel(i + 1 + (f.shape === "ja" ? s.off : s.imm)));
        break;
      case "jmp_imm":
      case "jmp_reg": {
        const op = JMP_OPS.find((j) => j.code === code)!.name;
        if (f.shape === "jmp_imm" && op !== "jset" && s.imm >= 0 && s.imm < 4096) e.dpImm("subs", w, XZR, d, s.imm);
        else {
          const b = f.shape === "jmp_reg" ? src : immOperand(w, s.imm);
          e.dpReg(op === "jset" ? "ands" : "subs", w, XZR, d, b);
        }
        e.bcond(JCC[op]!, t.jumpLabel(i + 1 + s.off));
        break;
      }
      case "call": {
        const c = t.callAt(i);
        if ("code" in c) {
          problems.push(c);
          break;
        }
        if (c.kind === "local") {
          e.ldst("ldr", 8, TMP, RT_REG, RT.callLimit);
          e.dpReg("subs", 64, XZR, BPF_REG[10]!, TMP);
          e.bcond("lo", faultAt(infoWord(i, 0, false, FAULT.depth)));
          zeroNewFrame(e);
          e.bl(c.label);
          break;
        }
        if (c.kind === "tail") {
          tailCall(e, i);
          helpers.add(12);
          break;
        }
        if (c.kind === "inline-array") {
          const m = access(i, 2, 0, 4, false);
          inlineArrayLookup(e, m.rn, c.map.maxEntries, valueStride(c.map.valueSize), c.map.valueSize);
          inlined++;
          break;
        }
        helpers.add(c.id);
        e.movImm(64, TMP, BigInt(i));
        e.ldst("str", 8, TMP, RT_REG, RT.pc);
        e.ldst("ldr", 8, CALL, RT_REG, RT.helpers + 8 * c.id);
        e.mov(64, 5, RT_REG);
        e.blr(CALL);
        e.mov(64, BPF_REG[0]!, 0);
        break;
      }
      case "callx":
        problems.push(unsupported(i, "callx"));
        break;
      case "exit":
        if (inSub(i)) {
          e.ldpPost(25, 26, SP, 16);
          e.ldpPost(21, 22, SP, 16);
          e.ldpPost(19, 20, SP, 16);
          e.ldpPost(29, 30, SP, 16);
          e.ret();
        } else e.b(epilogue);
        break;
      case "ldabs":
      case "ldind":
        problems.push(unsupported(i, "legacy packet loads (ldabs/ldind)"));
        break;
    }
  }
  if (problems.length) throw new DiagnosticError(problems);
  const bodyEnd = e.size;
  e.bind(labels[n]!);
  e.b(faultAt(infoWord(n, 0, false, FAULT.fellOff)));

  // ---------------------------------------------------------------- epilogue
  e.bind(epilogue);
  e.dpImm("add", 64, SP, SP, STACK_BYTES);
  e.ldpPost(25, 26, SP, 16);
  e.ldpPost(21, 22, SP, 16);
  e.ldpPost(19, 20, SP, 16);
  e.ldpPost(29, 30, SP, 16);
  e.mov(64, 0, BPF_REG[0]!);
  e.ret();

  // Slow path of a bounds check: rt->check(rt, addr, info), keeping x0-x7 (r0-r5), the
  // address and the link register.
  e.bind(slowCheck);
  e.stpPre(29, 30, SP, -16);
  e.stpPre(0, 1, SP, -16);
  e.stpPre(2, 3, SP, -16);
  e.stpPre(4, 7, SP, -16);
  e.stpPre(ADDR, TMP, SP, -16);
  e.mov(64, 0, RT_REG);
  e.mov(64, 1, ADDR);
  e.mov(64, 2, TMP);
  e.ldst("ldr", 8, CALL, RT_REG, RT.check);
  e.blr(CALL);
  e.ldpPost(ADDR, TMP, SP, 16);
  e.ldpPost(4, 7, SP, 16);
  e.ldpPost(2, 3, SP, 16);
  e.ldpPost(0, 1, SP, 16);
  e.ldpPost(29, 30, SP, 16);
  e.ret();

  for (const stub of stubs) {
    e.bind(stub.label);
    e.mov(64, 0, RT_REG);
    e.mov(64, 1, ADDR);
    e.movImm(64, 2, BigInt(stub.info));
    e.ldst("ldr", 8, CALL, RT_REG, RT.fault);
    e.blr(CALL);
    e.brk();
  }
  return { code: e.finish(), slotOffsets: offsets, bodyEnd, helpers: [...helpers].sort((a, b) => a - b), inlinedLookups: inlined };
}

/** Zeroes the 512 bytes from `from` up (STP XZR, XZR post-indexed), with x11 and x12. */
function zeroFrame(e: A64Emitter, from: Reg): void {
  const loop = e.newLabel();
  e.mov(64, TMP2, from);
  e.dpImm("add", 64, TMP3, from, STACK_FRAME);
  e.bind(loop);
  e.stpPost(XZR, XZR, TMP2, 16);
  e.dpReg("subs", 64, XZR, TMP2, TMP3);
  e.bcond("lo", loop);
}

/** Before a bpf-to-bpf call: the callee's frame is zeroed the first time a run reaches its depth (as x86_64/jit.ts). */
function zeroNewFrame(e: A64Emitter): void {
  const done = e.newLabel();
  e.dpImm("sub", 64, ADDR, BPF_REG[10]!, 2 * STACK_FRAME);
  e.ldst("ldr", 8, TMP, RT_REG, RT.stackZeroed);
  e.dpReg("subs", 64, XZR, ADDR, TMP);
  e.bcond("hs", done);
  e.ldst("str", 8, ADDR, RT_REG, RT.stackZeroed);
  zeroFrame(e, ADDR);
  e.bind(done);
}

/**
 * RFC 9669 §5.3 atomics at [x9] as load-acquire/store-release exclusive loops (ARMv8.0;
 * the LSE forms would need ARMv8.1): TMP2 the old value, TMP the new, TMP3 the status.
 */
function atomic(e: A64Emitter, name: string, size: 4 | 8, src: Reg): void {
  const w = size === 8 ? 64 : 32;
  const r0 = BPF_REG[0]!;
  const retry = e.newLabel();
  const done = e.newLabel();
  e.bind(retry);
  e.ldaxr(size, TMP2, ADDR);
  if (name === "cmpxchg") {
    e.dpReg("subs", w, XZR, TMP2, r0);
    e.bcond("ne", done);
    e.stlxr(size, TMP3, src, ADDR);
    e.cbnzW(TMP3, retry);
    e.bind(done);
    e.mov(w, r0, TMP2);
    return;
  }
  const op = ATOMIC_ALU[name.replace("fetch ", "")];
  if (op) e.dpReg(op, w, TMP, TMP2, src);
  e.stlxr(size, TMP3, op ? TMP : src, ADDR);
  e.cbnzW(TMP3, retry);
  if (name.startsWith("fetch") || name === "xchg") e.mov(w, src, TMP2);
}

/** bpf_map_lookup_elem on an array map, inline: x7 = values + key * stride, or 0 past the end. */
function inlineArrayLookup(e: A64Emitter, key: Reg, maxEntries: number, stride: number, valueSize: number): void {
  const miss = e.newLabel();
  const done = e.newLabel();
  const r0 = BPF_REG[0]!;
  e.ldst("ldr", 4, r0, key, 0);
  e.movImm(32, TMP, BigInt(maxEntries >>> 0));
  e.dpReg("subs", 32, XZR, r0, TMP);
  e.bcond("hs", miss);
  e.movImm(64, TMP, BigInt(stride));
  e.ldst("ldr", 8, TMP2, BPF_REG[1]!, MAP_DESC.values);
  e.mulAdd(false, 64, r0, r0, TMP, TMP2);
  // The value found is the inline checks' third region, as the runtime's lookup sets it.
  e.ldst("str", 8, r0, RT_REG, RT.valueLo);
  e.movImm(64, TMP, BigInt(valueSize));
  e.dpReg("add", 64, TMP, r0, TMP);
  e.ldst("str", 8, TMP, RT_REG, RT.valueHi);
  e.b(done);
  e.bind(miss);
  e.movImm(64, r0, 0n);
  e.bind(done);
}

/**
 * bpf_tail_call(ctx, prog_array, index), as on x86-64 (backends/x86_64/jit.ts tailCall):
 * the runtime returns the target's entry or a negative errno to fall through with; BPF
 * r0-r5 (x7, x0-x4) are kept around the call; a jump resets sp and r10 (x25) to the entry
 * program's frame (rt->stack_lo/stack_hi) and branches to the target after its prologue.
 */
function tailCall(e: A64Emitter, pc: number): void {
  e.stpPre(7, 0, SP, -16);
  e.stpPre(1, 2, SP, -16);
  e.stpPre(3, 4, SP, -16);
  e.movImm(64, TMP, BigInt(pc));
  e.ldst("str", 8, TMP, RT_REG, RT.pc);
  e.ldst("ldr", 8, CALL, RT_REG, RT.helpers + 8 * 12);
  e.mov(64, 5, RT_REG);
  e.blr(CALL);
  e.mov(64, TMP, 0);
  e.ldpPost(3, 4, SP, 16);
  e.ldpPost(1, 2, SP, 16);
  e.ldpPost(7, 0, SP, 16);
  const fallThrough = e.newLabel();
  e.dpImm("adds", 64, XZR, TMP, 4095); // cmn: carry when TMP >= 2^64 - 4095
  e.bcond("hs", fallThrough);
  e.ldst("ldr", 8, TMP2, RT_REG, RT.stackLo);
  e.movSp(SP, TMP2);
  e.ldst("ldr", 8, BPF_REG[10]!, RT_REG, RT.stackHi);
  e.br(TMP);
  e.bind(fallThrough);
  e.mov(64, BPF_REG[0]!, TMP);
}
