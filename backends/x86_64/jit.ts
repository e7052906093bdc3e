// BPF -> x86-64 machine code, one instruction at a time with a fixed register map, as
// the Linux JIT does (arch/x86/net/bpf_jit_comp.c). The program it translates is the
// IR's output: the pipeline lifts the verified input to IR, optimises it and allocates
// its values onto r0-r9 (backends/bpf/codegen), so every value already has a register;
// with 16 host registers for BPF's 11 the map below gives each BPF register its own
// host register and the native code never spills (docs/native.md says why we chose it).
//
// The ABI is in backends/common/native-abi.ts: prog(ctx, len, rt), System V AMD64
// (rdi, rsi, rdx; callee-saved rbx, rbp, r12-r15; 16-byte stack alignment at calls).
// Every memory access is bounds-checked, as the interpreter does: r10-relative accesses
// statically against the frame, packet accesses the program's own checks cover
// (native-ctx.ts) not again, others inline against the input/packet window, the stack
// and the last map value, then in the runtime (other map values, ctx); a fault calls
// rt->fault, which does not return, so a bad access is reported with its instruction
// index and never crashes.
import { formOf } from "../../ir/bpf/insn.js";
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, SIZE_BYTES } from "../../ir/bpf/opcodes.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { diag, DiagnosticError } from "../../ir/diag/diag.js";
import { FAULT, infoWord, MAP_DESC, RT, RT_MAPS, STACK_BYTES, STACK_FRAME, valueStride } from "../common/native-abi.js";
import type { NativeProgram } from "../common/native-backend.js";
import { beginTranslation, lddwMeaning } from "../common/native-translation.js";
import { mem, REG, X64Emitter, type AluOp, type Cond, type Mem, type Reg, type ShiftOp } from "./encode.js";

/**
 * BPF register -> x86-64 register (the Linux JIT's reg2hex): r1-r5 are the System V
 * argument registers in order, so helper calls need no moves; r6-r9 and r10 are
 * callee-saved, as BPF's r6-r9 are across calls.
 */
export const BPF_REG: readonly Reg[] = [
  REG.rax, // r0: return value, RAX as in System V
  REG.rdi, // r1: 1st argument (ctx)
  REG.rsi, // r2: 2nd argument (raw: input length)
  REG.rdx, // r3: 3rd argument; also RDX of DIV, saved around it
  REG.rcx, // r4: 4th argument; also CL of variable shifts, saved around them
  REG.r8, // r5: 5th argument
  REG.rbx, // r6: callee-saved
  REG.r13, // r7: callee-saved (r12 is the runtime pointer: as a base it costs a SIB byte)
  REG.r14, // r8: callee-saved
  REG.r15, // r9: callee-saved
  REG.rbp, // r10: the frame pointer, callee-saved
];

/** Host registers the translation uses besides the map above. */
const RT_REG = REG.r12; // struct bpfoff_rt *, for the whole run
const ADDR = REG.r11; // the address of a checked access
const TMP = REG.r10; // scratch; also the info word of a slow check
const TMP2 = REG.r9; // scratch; also rt as the helpers' 6th argument

/** BPF jump -> condition code (unsigned: a/ae/b/be; signed: g/ge/l/le); jset is TEST + ne. */
const JCC: Readonly<Record<string, Cond>> = { jeq: "e", jne: "ne", jgt: "a", jge: "ae", jlt: "b", jle: "be", jsgt: "g", jsge: "ge", jslt: "l", jsle: "le", jset: "ne" };
/** BPF ALU ops with a direct x86 two-operand form. */
const DIRECT_ALU: Readonly<Record<string, AluOp>> = { add: "add", sub: "sub", or: "or", and: "and", xor: "xor" };
const SHIFTS: Readonly<Record<string, ShiftOp>> = { lsh: "shl", rsh: "shr", arsh: "sar" };
/** Atomic read-modify-write ops without fetch, and the ALU op of each fetch form. */
const ATOMIC_ALU: Readonly<Record<string, AluOp>> = { add: "add", or: "or", and: "and", xor: "xor" };

/** Prologue pushes: rbp, rbx, r12-r15 (System V callee-saved registers the code uses). */
const SAVED = [REG.rbp, REG.rbx, REG.r12, REG.r13, REG.r14, REG.r15] as const;
/** A bpf-to-bpf call saves r6-r9 and r10 (RFC 9669 §2.1), 5 pushes: with the return address 48 bytes, alignment kept. */
const SUB_SAVED = [REG.rbx, REG.r13, REG.r14, REG.r15, REG.rbp] as const;
/** The BPF stack plus 8 so that, after the return address and six pushes, rsp is 16-byte aligned at calls. */
const FRAME_BYTES = STACK_BYTES + 8;

/** Translates one program of an object; a construct it cannot translate is a diagnostic with its index. */
export function compileX64(object: BpfObject, program: number, type: "raw" | "xdp"): NativeProgram {
  const e = new X64Emitter();
  const t = beginTranslation(object, program, type, "x86_64", e);
  const { ctxLoads, proven, slots, problems, labels, callLabels, starts, targets, inSub, stubs, faultAt, offsets, helpers, unsupported } = t;
  const n = slots.length;
  const slowCheck = e.newLabel();
  const epilogue = e.newLabel();
  let inlined = 0;

  // ---------------------------------------------------------------- prologue (the entry function)
  for (const r of SAVED) e.push(r);
  e.aluRI("sub", 64, REG.rsp, FRAME_BYTES);
  e.movRR(64, RT_REG, REG.rdx);
  // The interpreter starts with zeroed registers and a zeroed frame 0 (deeper frames are
  // zeroed when a call first reaches them): rep stosq uses rdi, rcx, rax; ctx waits in r9.
  e.movRR(64, TMP2, REG.rdi);
  e.lea(REG.rdi, mem(REG.rsp, STACK_BYTES - STACK_FRAME));
  e.store(8, mem(RT_REG, RT.stackZeroed), REG.rdi);
  e.movRI(REG.rcx, BigInt(STACK_FRAME / 8));
  e.aluRR("xor", 32, REG.rax, REG.rax);
  e.repStosq();
  e.movRR(64, REG.rdi, TMP2);
  e.store(8, mem(RT_REG, RT.stackLo), REG.rsp);
  e.lea(ADDR, mem(REG.rsp, STACK_BYTES));
  e.store(8, mem(RT_REG, RT.stackHi), ADDR);
  e.lea(ADDR, mem(REG.rsp, 2 * STACK_FRAME));
  e.store(8, mem(RT_REG, RT.callLimit), ADDR);
  e.lea(REG.rbp, mem(REG.rsp, STACK_BYTES));
  for (const r of [REG.rdx, REG.r8, REG.rbx, REG.r13, REG.r14, REG.r15]) e.aluRR("xor", 32, r, r);

  /**
   * The address of a `size`-byte access at [base + off], checked: r10-relative accesses
   * against the frame at compile time (the verifier's own rule), others at run time.
   */
  const access = (pc: number, base: number, off: number, size: number, store: boolean): Mem => {
    const info = infoWord(pc, size, store, FAULT.mem);
    if (base === 10) {
      if (off >= -STACK_FRAME && off + size <= 0) return mem(REG.rbp, off);
      e.lea(ADDR, mem(REG.rbp, off));
      e.jmp(faultAt(info));
      return mem(ADDR, 0);
    }
    const ok = e.newLabel();
    e.lea(ADDR, mem(BPF_REG[base]!, off));
    for (const [lo, hi] of [[RT.regionLo, RT.regionHi], [RT.stackLo, RT.stackHi], [RT.valueLo, RT.valueHi]] as const) {
      const next = e.newLabel();
      e.aluRM("cmp", 64, ADDR, mem(RT_REG, lo));
      e.jcc("b", next);
      e.lea(TMP, mem(ADDR, size));
      e.aluRM("cmp", 64, TMP, mem(RT_REG, hi));
      e.jcc("be", ok);
      e.bind(next);
    }
    e.movRI(TMP, BigInt(info));
    e.call(slowCheck);
    e.bind(ok);
    return mem(ADDR, 0);
  };

  for (let i = 0; i < n; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (starts.has(i)) {
      e.bind(callLabels.get(i)!);
      if (i !== 0) {
        for (const r of SUB_SAVED) e.push(r);
        e.aluRI("sub", 64, REG.rbp, STACK_FRAME);
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
        const k = w === 32 ? s.imm >>> 0 : s.imm;
        if (DIRECT_ALU[op]) {
          if (reg) e.aluRR(DIRECT_ALU[op], w, d, src);
          else e.aluRI(DIRECT_ALU[op], w, d, s.imm);
        } else if (op === "mov") {
          if (reg) e.movRR(w, d, src);
          else e.movRI(d, w === 32 ? BigInt(k) : BigInt(s.imm));
        } else if (op === "mul") {
          if (reg) e.imulRR(w, d, src);
          else e.imulRRI(w, d, d, s.imm);
        } else if (op === "neg") {
          e.group3("neg", w, d);
        } else if (SHIFTS[op]) {
          if (reg) shiftByRegister(e, SHIFTS[op], w, d, src);
          else if ((s.imm & (w - 1)) === 0) e.movRR(w, d, d);
          else e.shiftRI(SHIFTS[op], w, d, s.imm & (w - 1));
        } else {
          divide(e, op as "div" | "mod" | "sdiv" | "smod", w, d, reg ? src : undefined, s.imm);
        }
        break;
      }
      case "movsx":
        e.extendRR(true, s.off as 8 | 16 | 32, w, d, src);
        break;
      case "end": {
        const kind = f.mnemonic.replace(/\d+$/, "");
        if (kind === "le") {
          if (s.imm === 16) e.extendRR(false, 16, 32, d, d);
          else if (s.imm === 32) e.movRR(32, d, d);
        } else if (s.imm === 16) {
          e.shiftRI("rol", 16, d, 8);
          e.extendRR(false, 16, 32, d, d);
        } else e.bswap(s.imm === 32 ? 32 : 64, d);
        break;
      }
      case "ldx": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        const m = ctxLoads.has(i) || proven.has(i) ? mem(src, s.off) : access(i, s.src, s.off, size, false);
        e.load(size, (s.opcode & 0xe0) === 0x80, d, m);
        break;
      }
      case "st": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        e.storeImm(size, proven.has(i) ? mem(d, s.off) : access(i, s.dst, s.off, size, true), s.imm);
        break;
      }
      case "stx": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        e.store(size, proven.has(i) ? mem(d, s.off) : access(i, s.dst, s.off, size, true), src);
        break;
      }
      case "atomic": {
        const size = SIZE_BYTES[s.opcode & 0x18]!;
        const aw = size === 8 ? 64 : 32;
        const m = access(i, s.dst, s.off, size, true);
        atomic(e, ATOMIC_OPS.find((a) => a.imm === s.imm)!.name, aw, m, src);
        break;
      }
      case "lddw": {
        const m = lddwMeaning(slots, i, object.maps.length, unsupported);
        const desc = (idx: number): number => RT_MAPS + idx * MAP_DESC.size;
        if ("code" in m) problems.push(m);
        else if (m.kind === "imm") e.movRI(d, m.value);
        else if (m.kind === "map") e.lea(d, mem(RT_REG, desc(m.map)));
        else {
          e.loadQ(d, mem(RT_REG, desc(m.map) + MAP_DESC.values));
          if (m.off !== 0) e.aluRI("add", 64, d, m.off);
        }
        offsets[i + 1] = offsets[i]!;
        // The second slot is no instruction: a jump to it stops the run, as in the interpreter.
        if (targets.has(i + 1)) {
          const after = e.newLabel();
          e.jmp(after);
          e.bind(labels[i + 1]!);
          e.jmp(faultAt(infoWord(i + 1, 0, false, FAULT.fellOff)));
          e.bind(after);
        } else e.bind(labels[i + 1]!);
        i++;
        continue;
      }
      case "ja":
      case "ja32":
        e.jmp(t.jumpLabel(i + 1 + (f.shape === "ja" ? s.off : s.imm)));
        break;
      case "jmp_imm":
      case "jmp_reg": {
        const op = JMP_OPS.find((j) => j.code === code)!.name;
        if (op === "jset") {
          if (f.shape === "jmp_reg") e.testRR(w, d, src);
          else e.testRI(w, d, s.imm);
        } else if (f.shape === "jmp_reg") e.aluRR("cmp", w, d, src);
        else e.aluRI("cmp", w, d, s.imm);
        e.jcc(JCC[op]!, t.jumpLabel(i + 1 + s.off));
        break;
      }
      case "call": {
        const c = t.callAt(i);
        if ("code" in c) {
          problems.push(c);
          break;
        }
        if (c.kind === "local") {
          // MAX_CALL_DEPTH frames: the new frame must fit above stack_lo.
          e.aluRM("cmp", 64, REG.rbp, mem(RT_REG, RT.callLimit));
          e.jcc("b", faultAt(infoWord(i, 0, false, FAULT.depth)));
          zeroNewFrame(e);
          e.call(c.label);
          break;
        }
        if (c.kind === "tail") {
          tailCall(e, i);
          helpers.add(12);
          break;
        }
        if (c.kind === "inline-array") {
          inlineArrayLookup(e, access(i, 2, 0, 4, false), c.map.maxEntries, valueStride(c.map.valueSize), c.map.valueSize);
          inlined++;
          break;
        }
        helpers.add(c.id);
        e.storeImm(8, mem(RT_REG, RT.pc), i);
        e.movRR(64, TMP2, RT_REG);
        e.callMem(mem(RT_REG, RT.helpers + 8 * c.id));
        break;
      }
      case "callx":
        problems.push(unsupported(i, "callx"));
        break;
      case "exit":
        if (inSub(i)) {
          for (const r of [...SUB_SAVED].reverse()) e.pop(r);
          e.ret();
        } else e.jmp(epilogue);
        break;
      case "ldabs":
      case "ldind":
        problems.push(unsupported(i, "legacy packet loads (ldabs/ldind)"));
        break;
    }
  }
  if (problems.length) throw new DiagnosticError(problems);
  const bodyEnd = e.size;
  // Past the last instruction: the interpreter stops with run-fell-off.
  e.bind(labels[n]!);
  e.jmp(faultAt(infoWord(n, 0, false, FAULT.fellOff)));

  // ---------------------------------------------------------------- epilogue
  e.bind(epilogue);
  e.aluRI("add", 64, REG.rsp, FRAME_BYTES);
  for (const r of [...SAVED].reverse()) e.pop(r);
  e.ret();

  // The slow path of a bounds check: rt->check(rt, addr, info) with the caller-saved
  // BPF registers kept (7 pushes after the return address: rsp stays 16-byte aligned).
  const kept = [REG.rax, REG.rdi, REG.rsi, REG.rdx, REG.rcx, REG.r8, ADDR] as const;
  e.bind(slowCheck);
  for (const r of kept) e.push(r);
  e.movRR(64, REG.rdi, RT_REG);
  e.movRR(64, REG.rsi, ADDR);
  e.movRR(64, REG.rdx, TMP);
  e.callMem(mem(RT_REG, RT.check));
  for (const r of [...kept].reverse()) e.pop(r);
  e.ret();

  // Fault stubs: rt->fault(rt, addr, info) does not return.
  for (const stub of stubs) {
    e.bind(stub.label);
    e.movRR(64, REG.rdi, RT_REG);
    e.movRR(64, REG.rsi, ADDR);
    e.movRI(REG.rdx, BigInt(stub.info));
    e.callMem(mem(RT_REG, RT.fault));
  }
  return { code: e.finish(), slotOffsets: offsets, bodyEnd, helpers: [...helpers].sort((a, b) => a - b), inlinedLookups: inlined };
}

/**
 * bpf_tail_call(ctx, prog_array, index) (docs/native.md "Tail calls"): the runtime's
 * helper looks the index up, counts the tail call (MAX_TAIL_CALLS) and returns the
 * target program's entry, or a negative errno (>= 2^64 - 4095, never a code address) to
 * fall through with, as the interpreter does. BPF r0-r5 are kept around the call (the
 * interpreter's registers carry over into the target, r1 its context); a jump resets the
 * machine stack and r10 to the entry program's frame 0 (rt->stack_lo/stack_hi), dropping
 * any bpf-to-bpf frames, and enters the target after its prologue, with the stack kept.
 */
function tailCall(e: X64Emitter, pc: number): void {
  const kept = [REG.rax, REG.rdi, REG.rsi, REG.rdx, REG.rcx, REG.r8] as const; // 48 bytes: rsp stays 16-byte aligned
  for (const r of kept) e.push(r);
  e.storeImm(8, mem(RT_REG, RT.pc), pc);
  e.movRR(64, TMP2, RT_REG);
  e.callMem(mem(RT_REG, RT.helpers + 8 * 12));
  const fallThrough = e.newLabel();
  e.movRR(64, TMP, REG.rax);
  for (const r of [...kept].reverse()) e.pop(r);
  e.aluRI("cmp", 64, TMP, -4095);
  e.jcc("ae", fallThrough);
  e.loadQ(REG.rsp, mem(RT_REG, RT.stackLo));
  e.loadQ(REG.rbp, mem(RT_REG, RT.stackHi));
  e.jmpR(TMP);
  e.bind(fallThrough);
  e.movRR(64, REG.rax, TMP);
}

/**
 * Before a bpf-to-bpf call: the callee's frame [r10 - 1024, r10 - 512) is zeroed the first
 * time this run reaches that depth, as the interpreter's frames start zeroed; a frame
 * used again keeps what the previous call left, as there. r0, r1 and r4 (rax, rdi, rcx,
 * which rep stosq uses) are kept on the machine stack, below the BPF stack.
 */
function zeroNewFrame(e: X64Emitter): void {
  const done = e.newLabel();
  e.lea(ADDR, mem(REG.rbp, -2 * STACK_FRAME));
  e.aluRM("cmp", 64, ADDR, mem(RT_REG, RT.stackZeroed));
  e.jcc("ae", done);
  e.store(8, mem(RT_REG, RT.stackZeroed), ADDR);
  for (const r of [REG.rax, REG.rdi, REG.rcx] as const) e.push(r);
  e.movRR(64, REG.rdi, ADDR);
  e.movRI(REG.rcx, BigInt(STACK_FRAME / 8));
  e.aluRR("xor", 32, REG.rax, REG.rax);
  e.repStosq();
  for (const r of [REG.rcx, REG.rdi, REG.rax] as const) e.pop(r);
  e.bind(done);
}

/**
 * A shift by a register: x86 takes the count in CL, which is BPF r4, so r4 is kept in
 * r11 meanwhile (and a shift of r4 itself works on a copy). A 32-bit result is
 * zero-extended again, since a count of 0 leaves the destination unwritten.
 */
function shiftByRegister(e: X64Emitter, op: ShiftOp, w: 32 | 64, d: Reg, src: Reg): void {
  if (src === REG.rcx && d !== REG.rcx) {
    e.shiftRCl(op, w, d);
  } else {
    const target = d === REG.rcx ? TMP : d;
    if (d === REG.rcx) e.movRR(64, TMP, REG.rcx);
    e.movRR(64, ADDR, REG.rcx);
    if (src !== REG.rcx) e.movRR(64, REG.rcx, src);
    e.shiftRCl(op, w, target);
    e.movRR(64, REG.rcx, d === REG.rcx ? TMP : ADDR);
  }
  if (w === 32) e.movRR(32, d, d);
}

/**
 * div/mod/sdiv/smod with RFC 9669 §4.1 semantics that x86 DIV/IDIV do not have: x/0 = 0,
 * x%0 = x, and INT_MIN/-1 (which raises #DE on x86) = INT_MIN with remainder 0. DIV uses
 * RDX:RAX (BPF r3 and r0), saved in r10 and r9 around it, the divisor in r11.
 */
function divide(e: X64Emitter, op: "div" | "mod" | "sdiv" | "smod", w: 32 | 64, d: Reg, src: Reg | undefined, imm: number): void {
  const done = e.newLabel();
  const divisor = ADDR;
  if (src !== undefined) e.movRR(w, divisor, src);
  else e.movRI(divisor, w === 32 ? BigInt(imm >>> 0) : BigInt(imm));
  const nonzero = e.newLabel();
  e.testRR(w, divisor, divisor);
  e.jcc("ne", nonzero);
  if (op === "div" || op === "sdiv") e.aluRR("xor", 32, d, d);
  else if (w === 32) e.movRR(32, d, d);
  e.jmp(done);
  e.bind(nonzero);
  const signed = op === "sdiv" || op === "smod";
  if (signed) {
    // x / -1 = -x (wrapping at INT_MIN) and x % -1 = 0, without IDIV.
    const general = e.newLabel();
    e.aluRI("cmp", w, divisor, -1);
    e.jcc("ne", general);
    if (op === "sdiv") e.group3("neg", w, d);
    else e.aluRR("xor", 32, d, d);
    e.jmp(done);
    e.bind(general);
  }
  e.movRR(64, TMP, REG.rax);
  e.movRR(64, TMP2, REG.rdx);
  if (d !== REG.rax) e.movRR(64, REG.rax, d);
  if (signed) e.signExtendAx(w);
  else e.aluRR("xor", 32, REG.rdx, REG.rdx);
  e.group3(signed ? "idiv" : "div", w, divisor);
  e.movRR(64, divisor, op === "div" || op === "sdiv" ? REG.rax : REG.rdx);
  e.movRR(64, REG.rax, TMP);
  e.movRR(64, REG.rdx, TMP2);
  e.movRR(w, d, divisor);
  e.bind(done);
}

/**
 * RFC 9669 §5.3 atomics. add/or/and/xor: LOCK op; fetch add: LOCK XADD; xchg: XCHG;
 * cmpxchg: LOCK CMPXCHG against r0 (RAX); fetch or/and/xor have no x86 instruction and
 * loop on CMPXCHG (as the Linux JIT does), r0 kept in r9 meanwhile.
 */
function atomic(e: X64Emitter, name: string, w: 32 | 64, m: Mem, src: Reg): void {
  const size = w === 64 ? 8 : 4;
  if (ATOMIC_ALU[name]) return e.lockAluMR(ATOMIC_ALU[name], w, m, src);
  if (name === "fetch add") return e.lockXadd(w, m, src);
  if (name === "xchg") return e.xchgMR(w, m, src);
  if (name === "cmpxchg") {
    e.lockCmpxchg(w, m, src);
    if (w === 32) e.movRR(32, REG.rax, REG.rax);
    return;
  }
  const op = ATOMIC_ALU[name.replace("fetch ", "")]!;
  e.movRR(64, TMP2, REG.rax);
  const operand = src === REG.rax ? TMP2 : src;
  e.load(size, false, REG.rax, m);
  const retry = e.newLabel();
  e.bind(retry);
  e.movRR(64, TMP, REG.rax);
  e.aluRR(op, w, TMP, operand);
  e.lockCmpxchg(w, m, TMP);
  e.jcc("ne", retry);
  if (src !== REG.rax) {
    e.movRR(w, src, REG.rax);
    e.movRR(64, REG.rax, TMP2);
  }
}

/**
 * bpf_map_lookup_elem on an array map, inline (the IR's map.array_elem): the u32 key,
 * checked against max_entries, times the value stride plus the values' base from the
 * map descriptor r1 points to; NULL past the end. A hit becomes rt's value window.
 */
function inlineArrayLookup(e: X64Emitter, key: Mem, maxEntries: number, stride: number, valueSize: number): void {
  const miss = e.newLabel();
  const done = e.newLabel();
  e.load(4, false, REG.rax, key);
  e.aluRI("cmp", 32, REG.rax, maxEntries | 0);
  e.jcc("ae", miss);
  e.imulRRI(64, REG.rax, REG.rax, stride);
  e.aluRM("add", 64, REG.rax, mem(BPF_REG[1]!, MAP_DESC.values));
  // The value found is the inline checks' third region, as the runtime's lookup sets it.
  e.store(8, mem(RT_REG, RT.valueLo), REG.rax);
  e.lea(TMP, mem(REG.rax, valueSize));
  e.store(8, mem(RT_REG, RT.valueHi), TMP);
  e.jmp(done);
  e.bind(miss);
  e.aluRR("xor", 32, REG.rax, REG.rax);
  e.bind(done);
}
