// The reference interpreter: the meaning of a BPF program for every backend (DESIGN.md,
// "one reference, many backends"). It executes slots as RFC 9669 defines them, with
// every memory access bounds-checked against the regions of an AddressSpace, helpers
// from runtime/helpers, bpf-to-bpf calls with per-frame stacks, and tail calls.
import { fail } from "../../ir/diag/diag.js";
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, SIZE_BYTES, STACK_SIZE, type Shape } from "../../ir/bpf/opcodes.js";
import { formOf, lddwValue, type Insn } from "../../ir/bpf/insn.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import type { BpfMap } from "../maps/map.js";
import { HELPERS_BY_ID } from "../helpers/table.js";
import type { HelperEnv, HostState, Redirect } from "../helpers/env.js";
import { alu32, alu64, condition, endian, sext32, signExtend, u32, u64, type AluOp, type JmpOp } from "./alu.js";
import type { AddressSpace, Region } from "./memory.js";
import type { XdpPacket } from "./xdp.js";

/** MAX_CALL_FRAMES in the kernel's verifier. */
export const MAX_CALL_DEPTH = 8;
/** MAX_TAIL_CALL_CNT. */
export const MAX_TAIL_CALLS = 33;
export const DEFAULT_MAX_STEPS = 10_000_000;

/** A slot decoded once before execution, so the loop does no table look-ups. */
interface Prepared {
  shape: Shape | "second";
  opcode: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  is32: boolean;
  alu?: AluOp;
  jmp?: JmpOp;
  size: number;
  signed: boolean;
  endKind?: "le" | "be" | "bswap";
  atomic?: string;
  callSrc: number;
  imm64: bigint;
}

/** Programs decoded for execution; make it once per object and pass it to every run. */
export interface PreparedObject {
  readonly object: BpfObject;
  readonly programs: readonly Prepared[][];
}

export function prepareObject(object: BpfObject): PreparedObject {
  return { object, programs: object.programs.map((p) => prepare(p.slots)) };
}

function prepare(slots: readonly Insn[]): Prepared[] {
  const out: Prepared[] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (!f) fail("enc-opcode", { insn: i }, [s.opcode.toString(16)]);
    const cls = s.opcode & 7;
    const code = s.opcode & 0xf0;
    const name = f.mnemonic;
    let alu: AluOp | undefined;
    if (f.shape === "alu_imm" || f.shape === "alu_reg" || f.shape === "unary") {
      const base = ALU_OPS.find((a) => a.code === code)!.name as AluOp;
      alu = s.off === 1 && (base === "div" || base === "mod") ? (`s${base}` as AluOp) : base;
    }
    const jmp = f.shape === "jmp_imm" || f.shape === "jmp_reg" ? (JMP_OPS.find((j) => j.code === code)!.name as JmpOp) : undefined;
    out.push({
      shape: f.shape, opcode: s.opcode, dst: s.dst, src: s.src, off: s.off, imm: s.imm,
      is32: cls === 4 || cls === 6, alu, jmp,
      size: SIZE_BYTES[s.opcode & 0x18] ?? 8,
      signed: (s.opcode & 0xe0) === 0x80 && cls === 1,
      endKind: f.shape === "end" ? (name.replace(/\d+$/, "") as "le" | "be" | "bswap") : undefined,
      atomic: f.shape === "atomic" ? ATOMIC_OPS.find((a) => a.imm === s.imm)!.name : undefined,
      callSrc: s.src,
      imm64: f.shape === "lddw" ? lddwValue(s, slots[i + 1] ?? s) : 0n,
    });
    if (f.shape === "lddw") {
      out.push({ ...out[out.length - 1]!, shape: "second" });
      i++;
    }
  }
  return out;
}

export interface ExecInput {
  readonly object: BpfObject;
  /** The object decoded for execution (prepareObject); made here when absent. */
  readonly prepared?: PreparedObject;
  /** Index of the entry program in object.programs. */
  readonly program: number;
  /** Live map instances, one per object.maps entry, in the same order. */
  readonly maps: readonly BpfMap[];
  readonly host: HostState;
  readonly space: AddressSpace;
  readonly r1: bigint;
  readonly r2: bigint;
  readonly xdp?: XdpPacket;
  readonly maxSteps?: number;
}

export interface ExecResult {
  readonly r0: bigint;
  readonly steps: number;
  readonly redirect?: Redirect;
}

interface Frame {
  returnPc: number;
  saved: bigint[];
  prepared: Prepared[];
}

export function execute(input: ExecInput): ExecResult {
  const { object, maps, space } = input;
  const maxSteps = input.maxSteps ?? DEFAULT_MAX_STEPS;
  const prepared = input.prepared?.object === object ? input.prepared : prepareObject(object);
  const programCode = (idx: number): Prepared[] => prepared.programs[idx] ?? fail("run-tail-call", {});
  // Map handles: byte-less regions that identify a map (lddw src 1).
  const handles: Region[] = maps.map((m, i) => space.add(`map ${m.def.name}`, new Uint8Array(0), false, { mapIndex: i }));
  const env: HelperEnv = {
    space, maps, host: input.host, xdp: input.xdp,
    mapAt: (addr) => {
      const r = space.regionAt(addr);
      return r?.mapIndex !== undefined && addr === r.base ? maps[r.mapIndex] : undefined;
    },
    valueAddress: (map, value) => space.regionOf(value, `value of map ${map.def.name}`, (map.def.flags & 0x80) === 0).base,
  };
  const stacks: Region[] = [];
  const frameTop = (depth: number): bigint => {
    while (stacks.length <= depth) stacks.push(space.add(`stack frame ${stacks.length}`, new Uint8Array(STACK_SIZE), true));
    return stacks[depth]!.base + BigInt(STACK_SIZE);
  };

  const reg: bigint[] = new Array<bigint>(11).fill(0n);
  reg[1] = input.r1;
  reg[2] = input.r2;
  reg[10] = frameTop(0);
  let code = programCode(input.program);
  const frames: Frame[] = [];
  let pc = 0;
  let steps = 0;
  let tailCalls = 0;

  for (;;) {
    if (pc < 0 || pc >= code.length) fail("run-fell-off", { insn: pc });
    if (++steps > maxSteps) fail("run-steps", { insn: pc }, [maxSteps]);
    const p = code[pc]!;
    const at = pc;
    pc++;
    switch (p.shape) {
      case "alu_imm":
      case "alu_reg":
      case "unary": {
        const b = p.shape === "alu_reg" ? reg[p.src]! : p.is32 ? BigInt(p.imm >>> 0) : sext32(p.imm);
        reg[p.dst] = p.is32 ? alu32(p.alu!, reg[p.dst]!, b) : alu64(p.alu!, reg[p.dst]!, b);
        break;
      }
      case "movsx": {
        const v = signExtend(reg[p.src]!, p.off);
        reg[p.dst] = p.is32 ? u32(v) : v;
        break;
      }
      case "end":
        reg[p.dst] = endian(p.endKind!, reg[p.dst]!, p.imm);
        break;
      case "ldx": {
        const v = space.load(u64(reg[p.src]! + BigInt(p.off)), p.size, at);
        reg[p.dst] = p.signed ? signExtend(v, p.size * 8) : v;
        break;
      }
      case "st":
        space.store(u64(reg[p.dst]! + BigInt(p.off)), p.size, sext32(p.imm), at);
        break;
      case "stx":
        space.store(u64(reg[p.dst]! + BigInt(p.off)), p.size, reg[p.src]!, at);
        break;
      case "atomic":
        atomic(space, reg, p, at);
        break;
      case "lddw":
        reg[p.dst] = lddwTarget(p, at, handles, maps, env);
        pc++;
        break;
      case "second":
        return fail("run-fell-off", { insn: at }, [], ["jumped into the second slot of an lddw"]);
      case "ldabs":
      case "ldind": {
        // RFC 9669 §5.5: legacy packet loads read network byte order; an out-of-bounds
        // load ends the program with r0 = 0, as classic BPF does.
        const v = legacyLoad(input, p, p.shape === "ldind" ? reg[p.src]! : 0n);
        if (v === undefined) return { r0: 0n, steps, redirect: env.redirect };
        reg[0] = v;
        break;
      }
      case "ja":
        pc += p.off;
        break;
      case "ja32":
        pc += p.imm;
        break;
      case "jmp_imm":
      case "jmp_reg": {
        const b = p.shape === "jmp_reg" ? reg[p.src]! : p.is32 ? BigInt(p.imm >>> 0) : sext32(p.imm);
        if (condition(p.jmp!, reg[p.dst]!, b, p.is32 ? 32 : 64)) pc += p.off;
        break;
      }
      case "call":
      case "callx": {
        if (p.shape === "call" && p.callSrc === 1) {
          if (frames.length + 1 >= MAX_CALL_DEPTH) fail("run-depth", { insn: at }, [MAX_CALL_DEPTH]);
          // r6-r9 are callee-saved and r10 is per frame (RFC 9669 §2.1; ubpf does the same).
          frames.push({ returnPc: pc, saved: [reg[6]!, reg[7]!, reg[8]!, reg[9]!, reg[10]!], prepared: code });
          reg[10] = frameTop(frames.length);
          pc += p.imm;
          break;
        }
        if (p.shape === "call" && p.callSrc === 2) fail("run-helper", { insn: at }, [`kfunc ${p.imm}`]);
        const id = p.shape === "callx" ? Number(reg[p.dst]! & 0xffffffffn) : p.imm;
        const helper = HELPERS_BY_ID.get(id);
        if (!helper) fail(p.shape === "callx" ? "run-callx" : "run-helper", { insn: at }, [id]);
        if (helper.xdpOnly && !input.xdp) fail("run-helper-fail", { insn: at }, [helper.name, "only XDP programs may call it"]);
        const result = helper.fn(env, [reg[1]!, reg[2]!, reg[3]!, reg[4]!, reg[5]!], at);
        if (typeof result === "object") {
          if (++tailCalls > MAX_TAIL_CALLS) {
            reg[0] = BigInt.asUintN(64, -2n);
          } else {
            // A tail call replaces the running program and its stack; ctx stays in r1.
            code = programCode(result.tailCall);
            frames.length = 0;
            reg[10] = frameTop(0);
            pc = 0;
            break;
          }
        } else {
          reg[0] = result;
        }
        // Caller-saved argument registers are clobbered by helper calls (RFC 9669 §2.1);
        // the interpreter leaves them as they were, which every correct program tolerates.
        break;
      }
      case "exit": {
        const f = frames.pop();
        if (!f) return { r0: reg[0]!, steps, redirect: env.redirect };
        [reg[6], reg[7], reg[8], reg[9], reg[10]] = f.saved as [bigint, bigint, bigint, bigint, bigint];
        code = f.prepared;
        pc = f.returnPc;
        break;
      }
    }
  }
}

function lddwTarget(p: Prepared, at: number, handles: Region[], maps: readonly BpfMap[], env: HelperEnv): bigint {
  switch (p.callSrc) {
    case 0:
      return p.imm64;
    case 1:
    case 5: {
      const h = handles[p.imm];
      if (!h) fail("run-map", { insn: at }, [p.imm, maps.length]);
      return h.base;
    }
    case 2:
    case 6: {
      const idx = Number(p.imm64 & 0xffffffffn);
      const map = maps[idx];
      if (!map) fail("run-map", { insn: at }, [idx, maps.length]);
      const value = map.lookup(new Uint8Array(map.def.keySize));
      if (!value) fail("run-map", { insn: at }, [idx, maps.length], ["global data map has no value at key 0"]);
      return env.valueAddress(map, value) + (p.imm64 >> 32n);
    }
    default:
      return fail("run-helper-fail", { insn: at }, ["lddw", `pseudo source ${p.callSrc} is not supported by the interpreter`]);
  }
}

function atomic(space: AddressSpace, reg: bigint[], p: Prepared, at: number): void {
  const addr = u64(reg[p.dst]! + BigInt(p.off));
  const size = p.size;
  const mask = size === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  const old = space.load(addr, size, at);
  const src = reg[p.src]! & mask;
  const op = p.atomic!;
  if (op === "cmpxchg") {
    // RFC 9669 §5.3: compare with r0; the old value is loaded into r0 either way.
    if (old === (reg[0]! & mask)) space.store(addr, size, src, at);
    reg[0] = old;
    return;
  }
  if (op === "xchg") {
    space.store(addr, size, src, at);
    reg[p.src] = old;
    return;
  }
  const base = op.replace("fetch ", "") as AluOp;
  space.store(addr, size, alu64(base, old, src) & mask, at);
  if (op.startsWith("fetch")) reg[p.src] = old;
}

function legacyLoad(input: ExecInput, p: Prepared, index: bigint): bigint | undefined {
  const off = Number(BigInt.asIntN(64, index + sext32(p.imm)));
  let bytes: Uint8Array;
  if (input.xdp) {
    const x = input.xdp;
    bytes = x.region.bytes.subarray(x.data, x.end);
  } else {
    const r = input.space.regionAt(input.r1);
    if (!r || input.r1 === 0n) return undefined;
    bytes = r.bytes.subarray(0, Number(input.r2));
  }
  if (off < 0 || off + p.size > bytes.length) return undefined;
  let v = 0n;
  for (let i = 0; i < p.size; i++) v = (v << 8n) | BigInt(bytes[off + i]!);
  return v;
}
