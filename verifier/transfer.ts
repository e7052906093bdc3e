// Per-instruction transfer functions: one abstract step of a state at one slot, driven by
// the slot's FORMS shape. A step either rejects (throws Reject with the kernel-style
// reason) or returns the successor states: none after the entry's exit, one after most
// instructions, two after a conditional jump whose outcome is not known.
//
// Invariants the driver relies on: the state passed in is owned by the step (it may be
// changed and returned); every successor pc is inside the program (cfg.ts checked jumps).
import { ALU_OPS, ATOMIC_OPS, FRAME_POINTER, JMP_OPS, SIZE_BYTES, STACK_SIZE, type Form } from "../ir/bpf/opcodes.js";
import { lddwValue, type Insn } from "../ir/bpf/insn.js";
import type { BpfObject } from "../ir/bpf/object.js";
import type { DiagCode } from "../ir/diag/messages.js";
import type { MapDef } from "../runtime/maps/def.js";
import { sext32, type AluOp, type JmpOp } from "../runtime/interp/alu.js";
import { XDP_MD } from "../runtime/interp/xdp.js";
import { HELPER_SIGS_BY_ID, MAX_HELPER_MEM, type HelperSig } from "./helpers.js";
import {
  aluScalar, constant, constValue, isConstant, merge32, range, refine, signExtendScalar, truncScalar, unknown, view32, zext32,
  type Relation, type Scalar, type Width,
} from "./scalar.js";
import { cloneState, mapAllRegs, newFrame, SLOT, top, type State } from "./state.js";
import { constReg, formatReg, isPointer, KIND_NAMES, NOT_INIT, scalarReg, ZERO_VAR, type Reg } from "./types.js";

export type ProgramType = "xdp" | "raw";

/** What every step needs to know about the program being verified. */
export interface Env {
  readonly object: BpfObject;
  readonly maps: readonly MapDef[];
  readonly slots: readonly Insn[];
  readonly forms: readonly (Form | undefined)[];
  readonly type: ProgramType;
}

export class Reject extends Error {
  constructor(
    readonly code: DiagCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface Succ {
  state: State;
  pc: number;
}

/** MAX_CALL_FRAMES in the kernel. */
export const MAX_CALL_FRAMES = 8;
/** BPF_MAX_VAR_OFF: variable offsets beyond this are refused (pointer arithmetic could wrap). */
const MAX_VAR_OFF = 1n << 29n;
/** MAX_PACKET_OFF. */
const MAX_PACKET_OFF = 0xffff;
/** The raw program type's length register (r2) carries this id from the start. */
export const LEN_ID = 1;
/** BPF_F_RDONLY_PROG. */
const MAP_RDONLY_PROG = 0x80;

function reject(code: DiagCode, reason: string): never {
  throw new Reject(code, reason);
}

const regName = (n: number): string => `R${n}`;

function readReg(st: State, n: number): Reg {
  const r = top(st).regs[n]!;
  if (r.k === "not_init") reject("verify-uninit", `${regName(n)} !read_ok`);
  return r;
}

function writeReg(st: State, n: number, r: Reg): void {
  if (n === FRAME_POINTER) reject("verify-r10", "frame pointer is read only");
  top(st).regs[n] = r;
}

const freshId = (st: State): number => st.nextId++;

/** A scalar's value as a 32-bit view (for ALU32 and JMP32 operands). */
const asWidth = (s: Scalar, w: Width): Scalar => (w === 32 ? view32(s) : s);

// ---------------------------------------------------------------------------------------
// Memory

/** An n-byte value read from memory the verifier does not track: any value of n bytes. */
function loadedScalar(size: number, signed: boolean): Reg {
  const s = range(0n, (1n << BigInt(size * 8)) - 1n);
  return scalarReg(signed && size < 8 ? signExtendScalar(s, size * 8) : s);
}

interface Access {
  /** The register number of the base pointer (for messages). */
  base: number;
  ptr: Reg;
  off: number;
  size: number;
  write: boolean;
  /** For writes: the value stored (undefined = an unknown scalar, as atomics store). */
  value?: Reg;
  signed?: boolean;
}

/** Checks one load or store; returns the loaded register for loads. */
function access(env: Env, st: State, a: Access): Reg {
  const { ptr, size } = a;
  const R = regName(a.base);
  switch (ptr.k) {
    case "not_init":
      return reject("verify-uninit", `${R} !read_ok`);
    case "scalar":
      return reject("verify-mem", `${R} invalid mem access 'scalar'${ptr.why ? ` (${ptr.why})` : ""}`);
    case "map_value_or_null":
      return reject("verify-null", `${R} invalid mem access 'map_value_or_null': test the map lookup result for NULL first`);
    case "map_ptr":
    case "pkt_end":
      return reject("verify-mem", `${R} invalid mem access '${KIND_NAMES[ptr.k]}'`);
    case "ctx":
      return ctxAccess(env, a, ptr.off);
    case "stack":
      return stackAccess(st, a, ptr.frame, ptr.off + a.off);
    case "pkt":
    case "pkt_meta": {
      const o = ptr.off + a.off;
      if (ptr.v.smin < 0n) reject("verify-mem", `${R} packet pointer has a negative variable offset (smin=${ptr.v.smin})`);
      if (ptr.v.umax + BigInt(o + size) > BigInt(MAX_PACKET_OFF) || o < 0 || o + size > ptr.range) {
        reject("verify-pkt", `invalid access to packet, off=${o} size=${size}, ${R}=${formatReg(ptr, env.maps)}: ${R} offset is outside of the packet (compare with data_end first)`);
      }
      if (a.write && a.value && isPointer(a.value)) reject("verify-leak", `${R} leaks addr into packet`);
      return a.write ? NOT_INIT : loadedScalar(size, a.signed ?? false);
    }
    case "map_value": {
      const def = env.maps[ptr.map]!;
      const o = BigInt(ptr.off + a.off);
      if (ptr.v.smin < 0n) reject("verify-map", `${R} min value is negative, either use unsigned index or do a if (index >=0) check`);
      if (ptr.v.umax >= MAX_VAR_OFF) reject("verify-map", `${R} unbounded memory access, make sure to bounds check any such access`);
      if (o + ptr.v.smin < 0n || o + ptr.v.umax + BigInt(size) > BigInt(def.valueSize)) {
        reject("verify-map", `invalid access to map value, value_size=${def.valueSize} off=${o + ptr.v.umin}${isConstant(ptr.v) ? "" : `..${o + ptr.v.umax}`} size=${size}`);
      }
      if (a.write && (def.flags & MAP_RDONLY_PROG) !== 0) reject("verify-map", `write into map '${def.name}' forbidden: it is read-only to programs`);
      return a.write ? NOT_INIT : loadedScalar(size, a.signed ?? false);
    }
    case "mem": {
      const o = BigInt(ptr.off + a.off);
      if (ptr.v.smin < 0n) reject("verify-mem", `${R} min value is negative, either use unsigned index or do a if (index >=0) check`);
      if (o < 0n || ptr.v.umax >= MAX_VAR_OFF || o + ptr.v.umax + BigInt(size) > st.memLen) {
        reject("verify-mem", `invalid access to memory, off=${o + ptr.v.umin} size=${size}, but the length (r2) is only proved >= ${st.memLen}: compare the length first`);
      }
      return a.write ? NOT_INIT : loadedScalar(size, a.signed ?? false);
    }
  }
}

/** struct xdp_md: 4-byte loads; data, data_end and data_meta become packet pointers. */
function ctxAccess(env: Env, a: Access, ptrOff: number): Reg {
  const o = ptrOff + a.off;
  if (env.type !== "xdp") reject("verify-ctx", `invalid bpf_context access off=${o} size=${a.size}`);
  if (a.write) reject("verify-ctx", `cannot write into ctx: xdp_md is read-only (off=${o} size=${a.size})`);
  if (ptrOff !== 0) reject("verify-ctx", `dereference of modified ctx ptr ${regName(a.base)} off=${ptrOff} disallowed`);
  if (a.size === 4) {
    switch (o) {
      case XDP_MD.data:
        return { k: "pkt", off: 0, v: ZERO_VAR, id: 0, range: 0 };
      case XDP_MD.data_end:
        return { k: "pkt_end" };
      case XDP_MD.data_meta:
        return { k: "pkt_meta", off: 0, v: ZERO_VAR, id: 0, range: 0 };
      case XDP_MD.ingress_ifindex:
      case XDP_MD.rx_queue_index:
      case XDP_MD.egress_ifindex:
        return loadedScalar(4, false);
    }
  }
  return reject("verify-ctx", `invalid bpf_context access off=${o} size=${a.size}`);
}

function stackAccess(st: State, a: Access, frameNo: number, o: number): Reg {
  const R = regName(a.base);
  if (o < -STACK_SIZE || o + a.size > 0) reject("verify-stack", `invalid ${a.write ? "write to" : "read from"} stack ${R} off=${o} size=${a.size} (the stack is ${STACK_SIZE} bytes below r10)`);
  const frame = st.frames[frameNo]!;
  const idx = o + STACK_SIZE;
  const slot = idx >> 3;
  const aligned8 = a.size === 8 && (idx & 7) === 0;
  if (!a.write) {
    const spill = frame.spills[slot];
    if (aligned8 && spill) return spill;
    for (let i = idx; i < idx + a.size; i++) {
      const b = frame.bytes[i]!;
      if (b === SLOT.INVALID) reject("verify-stack-uninit", `invalid read from stack ${R} off ${o}+${i - idx} size ${a.size}: the byte at fp${i - STACK_SIZE} is not initialised`);
      if (b === SLOT.SPILL && frame.spills[i >> 3]!.k !== "scalar") reject("verify-stack", `invalid size of register fill: ${R} off ${o} size ${a.size} reads part of a spilled pointer`);
    }
    return loadedScalar(a.size, a.signed ?? false);
  }
  if (aligned8 && a.value) {
    frame.spills[slot] = a.value;
    frame.bytes.fill(SLOT.SPILL, idx, idx + 8);
    return NOT_INIT;
  }
  if (a.value && isPointer(a.value)) reject("verify-stack", `invalid size of register spill: a pointer needs an aligned 8-byte store (${R} off ${o} size ${a.size})`);
  // A partial store turns any spilled register it touches into plain initialised bytes.
  for (let s = idx >> 3; s <= (idx + a.size - 1) >> 3; s++) {
    if (frame.spills[s]) {
      frame.spills[s] = undefined;
      frame.bytes.fill(SLOT.MISC, s * 8, s * 8 + 8);
    }
  }
  frame.bytes.fill(SLOT.MISC, idx, idx + a.size);
  return NOT_INIT;
}

/** Helper memory arguments: `size` bytes at ptr readable (and initialised on the stack). */
function helperMem(env: Env, st: State, n: number, ptr: Reg, size: number, fn: string): void {
  const R = regName(n);
  switch (ptr.k) {
    case "stack": {
      const o = ptr.off;
      if (o < -STACK_SIZE || o + size > 0) reject("verify-stack", `invalid indirect access to stack ${R} off=${o} size=${size} (argument of ${fn})`);
      const frame = st.frames[ptr.frame]!;
      for (let i = 0; i < size; i++) {
        const b = frame.bytes[o + STACK_SIZE + i]!;
        if (b === SLOT.INVALID) reject("verify-stack-uninit", `invalid indirect read from stack ${R} off ${o}+${i} size ${size}: ${fn} reads a byte that is not initialised`);
      }
      return;
    }
    case "pkt":
    case "pkt_meta":
    case "map_value":
    case "mem":
      access(env, st, { base: n, ptr, off: 0, size, write: false });
      return;
    default:
      reject("verify-helper-arg", `${R} type=${KIND_NAMES[ptr.k]} expected=fp, pkt, pkt_meta, map_value, mem (argument of ${fn})`);
  }
}

// ---------------------------------------------------------------------------------------
// ALU

const POINTER_ARITH: ReadonlySet<string> = new Set(["ctx", "stack", "pkt", "pkt_meta", "map_value", "mem"]);

/** ptr +/- scalar: the pointer moves by a constant, or gains a variable part. */
function pointerArith(st: State, dstNo: number, ptr: Reg, s: Scalar, op: "add" | "sub"): Reg {
  const R = regName(dstNo);
  if (!POINTER_ARITH.has(ptr.k)) reject("verify-ptr", `${R} pointer arithmetic on ${KIND_NAMES[ptr.k]} prohibited${ptr.k === "map_value_or_null" ? ", null-check it first" : ""}`);
  const c = constValue(s);
  if (c !== undefined) {
    const delta = BigInt.asIntN(64, c) * (op === "add" ? 1n : -1n);
    const p = ptr as Extract<Reg, { off: number }>;
    const off = BigInt(p.off) + delta;
    if (off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF) reject("verify-ptr", `${R} pointer offset ${off} is out of bounds`);
    return { ...p, off: Number(off) } as Reg;
  }
  if (ptr.k === "ctx" || ptr.k === "stack") reject("verify-ptr", `${R} variable ${ptr.k === "ctx" ? "ctx" : "stack"} pointer arithmetic is not supported: add constants only`);
  if (s.smin <= -MAX_VAR_OFF || s.smax >= MAX_VAR_OFF) reject("verify-ptr", `math between ${KIND_NAMES[ptr.k]} pointer and register with unbounded min/max value is not allowed (${R}: make sure to bound the offset, e.g. with a mask)`);
  const p = ptr as Extract<Reg, { v: Scalar }>;
  const v = aluScalar(op, p.v, s, 64);
  if (p.k === "pkt" || p.k === "pkt_meta") return { ...p, v, id: freshId(st), range: 0 };
  return { ...p, v } as Reg;
}

function aluOpOf(insn: Insn): AluOp {
  const name = ALU_OPS.find((a) => a.code === (insn.opcode & 0xf0))!.name;
  if ((name === "div" || name === "mod") && insn.off === 1) return `s${name}` as AluOp;
  return name as AluOp;
}

function alu(st: State, insn: Insn, form: Form): void {
  const w: Width = (insn.opcode & 7) === 4 ? 32 : 64;
  const R = regName(insn.dst);
  if (insn.dst === FRAME_POINTER) reject("verify-r10", "frame pointer is read only");
  if (form.shape === "end") {
    const d = readReg(st, insn.dst);
    if (d.k !== "scalar") reject("verify-ptr", `${R} byte swap on a pointer prohibited`);
    const bits = insn.imm;
    const kind = form.mnemonic.replace(/\d+$/, "");
    const c = constValue(d.s);
    let s: Scalar;
    if (c !== undefined) {
      const mask = (1n << BigInt(bits)) - 1n;
      let v = c & mask;
      if (kind !== "le") {
        let out = 0n;
        for (let i = 0; i < bits; i += 8) out = (out << 8n) | ((v >> BigInt(i)) & 0xffn);
        v = out;
      }
      s = constant(v);
    } else s = kind === "le" ? truncScalar(d.s, bits / 8) : bits === 64 ? unknown() : range(0n, (1n << BigInt(bits)) - 1n);
    writeReg(st, insn.dst, scalarReg(s));
    return;
  }
  if (form.shape === "unary") {
    const d = readReg(st, insn.dst);
    if (d.k !== "scalar") reject("verify-ptr", `${R} pointer arithmetic with neg prohibited`);
    const r = aluScalar("sub", asWidth(constant(0n), w), asWidth(d.s, w), w);
    writeReg(st, insn.dst, scalarReg(w === 32 ? zext32(r) : r));
    return;
  }
  if (form.shape === "movsx") {
    const s = readReg(st, insn.src);
    if (s.k !== "scalar") reject("verify-ptr", `${regName(insn.src)} sign-extending move of a pointer prohibited`);
    const r = signExtendScalar(s.s, insn.off);
    writeReg(st, insn.dst, scalarReg(w === 32 ? zext32(view32(r)) : r));
    return;
  }
  const op = aluOpOf(insn);
  const src: Reg = form.shape === "alu_imm" ? constReg(sext32(insn.imm)) : readReg(st, insn.src);
  if (op === "mov") {
    if (w === 64) {
      if (src.k === "scalar" && !isConstant(src.s)) {
        // Copies share an id, so that a branch on one narrows both (the kernel's scalar ids).
        const id = src.id || freshId(st);
        if (!src.id) top(st).regs[insn.src] = { ...src, id };
        writeReg(st, insn.dst, { ...src, id });
      } else writeReg(st, insn.dst, src);
      return;
    }
    if (src.k !== "scalar") reject("verify-ptr", `${regName(insn.src)} partial copy of pointer (32-bit mov) prohibited`);
    writeReg(st, insn.dst, scalarReg(zext32(view32(src.s))));
    return;
  }
  const dst = readReg(st, insn.dst);
  if (dst.k === "scalar" && src.k === "scalar") {
    const r = aluScalar(op, asWidth(dst.s, w), asWidth(src.s, w), w);
    writeReg(st, insn.dst, scalarReg(w === 32 ? zext32(r) : r));
    return;
  }
  // Pointer arithmetic.
  const opName = ALU_OPS.find((a) => a.code === (insn.opcode & 0xf0))!;
  if (w === 32) reject("verify-ptr", `${R} 32-bit pointer arithmetic prohibited`);
  if (isPointer(dst) && isPointer(src)) {
    // As the kernel with allow_ptr_leaks: a difference of pointers is an unknown scalar.
    if (op !== "sub") reject("verify-ptr", `${R} pointer ${opName.sym} pointer prohibited`);
    writeReg(st, insn.dst, scalarReg(unknown()));
    return;
  }
  if (op !== "add" && op !== "sub") reject("verify-ptr", `${R} pointer arithmetic with ${opName.sym} operator prohibited`);
  if (isPointer(dst)) {
    writeReg(st, insn.dst, pointerArith(st, insn.dst, dst, (src as Extract<Reg, { k: "scalar" }>).s, op as "add" | "sub"));
    return;
  }
  if (op === "sub") reject("verify-ptr", `${R} scalar minus pointer prohibited`);
  writeReg(st, insn.dst, pointerArith(st, insn.dst, src, (dst as Extract<Reg, { k: "scalar" }>).s, "add"));
}

// ---------------------------------------------------------------------------------------
// Jumps

/** The relation that holds on each edge of `a OP b`: [taken, not taken]. */
const EDGE_RELATIONS: Record<Exclude<JmpOp, never>, [[Relation, boolean], [Relation, boolean]]> = {
  // [relation, swapped operands]
  jeq: [["eq", false], ["ne", false]],
  jne: [["ne", false], ["eq", false]],
  jgt: [["ult", true], ["ule", false]],
  jge: [["ule", true], ["ult", false]],
  jlt: [["ult", false], ["ule", true]],
  jle: [["ule", false], ["ult", true]],
  jsgt: [["slt", true], ["sle", false]],
  jsge: [["sle", true], ["slt", false]],
  jslt: [["slt", false], ["sle", true]],
  jsle: [["sle", false], ["slt", true]],
  jset: [["set", false], ["nset", false]],
};

/** Writes a narrowed scalar into a register and every copy that shares its id. */
function setScalar(st: State, regNo: number | undefined, old: Extract<Reg, { k: "scalar" }>, s: Scalar): void {
  if (old.id) {
    const id = old.id;
    mapAllRegs(st, (r) => (r.k === "scalar" && r.id === id ? { ...r, s } : r));
    if (id === LEN_ID && s.umin > st.memLen) st.memLen = s.umin;
  } else if (regNo !== undefined) top(st).regs[regNo] = { ...old, s };
}

/** Narrows the state for `a REL b` at width w; false when the edge cannot be taken. */
function narrowScalars(st: State, aNo: number | undefined, a: Reg, bNo: number | undefined, b: Reg, rel: Relation, w: Width): boolean {
  if (a.k !== "scalar" || b.k !== "scalar") return true;
  const r = refine(asWidth(a.s, w), asWidth(b.s, w), rel, w);
  if (!r) return false;
  const na = w === 32 ? merge32(a.s, r[0]) : r[0];
  const nb = w === 32 ? merge32(b.s, r[1]) : r[1];
  if (!na || !nb) return false;
  setScalar(st, aNo, a, na);
  // A register compared with a copy of itself is narrowed once, through a.
  if (!(b.id && b.id === a.id)) setScalar(st, bNo, b, nb);
  return true;
}

/** find_good_pkt_pointers: `x < y` or `x <= y` (strict says which) with x a packet pointer and y its end. */
function packetBound(st: State, x: Reg, y: Reg, strict: boolean): void {
  const isEnd = (x.k === "pkt" && y.k === "pkt_end") || (x.k === "pkt_meta" && y.k === "pkt" && y.off === 0 && y.id === 0);
  if (!isEnd || (x.k !== "pkt" && x.k !== "pkt_meta")) return;
  const newRange = x.off + (strict ? 1 : 0);
  if (x.off < 0 || newRange <= 0 || x.v.umax > BigInt(MAX_PACKET_OFF)) return;
  const kind = x.k;
  const id = x.id;
  mapAllRegs(st, (r) => (r.k === kind && r.id === id && r.range < newRange ? { ...r, range: newRange } : r));
}

/** The map_value_or_null with this id became a map value (non-null edge) or NULL. */
function markNull(st: State, id: number, isNull: boolean): void {
  mapAllRegs(st, (r) => {
    if (r.k !== "map_value_or_null" || r.id !== id) return r;
    return isNull ? constReg(0n) : { k: "map_value", map: r.map, off: r.off, v: r.v };
  });
}

/** Pointers that are never NULL: comparing them with 0 has one outcome. */
const NON_NULL: ReadonlySet<string> = new Set(["ctx", "stack", "pkt", "pkt_meta", "pkt_end", "map_ptr", "map_value"]);

function relationOn(st: State, aNo: number | undefined, a: Reg, bNo: number | undefined, b: Reg, rel: Relation, w: Width): boolean {
  if (a.k === "scalar" && b.k === "scalar") return narrowScalars(st, aNo, a, bNo, b, rel, w);
  const isZero = (r: Reg) => r.k === "scalar" && constValue(r.s) === 0n;
  if (rel === "eq" || rel === "ne") {
    const [p, z] = isZero(b) ? [a, b] : isZero(a) ? [b, a] : [undefined, undefined];
    if (p && z) {
      if (p.k === "map_value_or_null") {
        markNull(st, p.id, rel === "eq");
        return true;
      }
      if (NON_NULL.has(p.k)) return rel === "ne";
      return true;
    }
  }
  if (rel === "ult" || rel === "ule") packetBound(st, a, b, rel === "ult");
  return true;
}

// ---------------------------------------------------------------------------------------
// Calls

function callHelper(env: Env, st: State, pc: number, id: number): void {
  const sig = HELPER_SIGS_BY_ID.get(id);
  if (!sig) reject("verify-helper", `invalid func unknown#${id}`);
  if (sig.xdpOnly && env.type !== "xdp") reject("verify-helper", `helper ${sig.name}#${id} is only allowed in XDP programs`);
  let map: number | undefined;
  sig.args.forEach((kind, i) => {
    const n = i + 1;
    const R = regName(n);
    const r = readArg(st, n, sig);
    switch (kind) {
      case "anything":
        return;
      case "ctx":
        if (r.k !== "ctx" || r.off !== 0) reject("verify-helper-arg", `${R} type=${KIND_NAMES[r.k]} expected=ctx (argument ${n} of ${sig.name})`);
        return;
      case "map_ptr": {
        if (r.k !== "map_ptr") reject("verify-helper-arg", `${R} type=${KIND_NAMES[r.k]} expected=map_ptr (argument ${n} of ${sig.name})`);
        const def = env.maps[r.map]!;
        if (sig.mapKinds && !sig.mapKinds.includes(def.kind)) reject("verify-helper-arg", `cannot pass map_type ${def.kind} ('${def.name}') into func ${sig.name}#${id}`);
        map = r.map;
        return;
      }
      case "map_key":
      case "map_value": {
        const def = env.maps[map!]!;
        helperMem(env, st, n, r, kind === "map_key" ? def.keySize : def.valueSize, sig.name);
        return;
      }
      case "mem_or_null":
        return; // checked with its size, below
      case "size_or_zero": {
        const ptrNo = n - 1;
        const ptr = top(st).regs[ptrNo]!;
        if (r.k !== "scalar") reject("verify-helper-arg", `${R} type=${KIND_NAMES[r.k]} expected=scalar (size argument of ${sig.name})`);
        if (r.s.smin < 0n && r.s.umax > BigInt(MAX_HELPER_MEM)) reject("verify-helper-arg", `${R} min value is negative, either use unsigned or 'var &= const'`);
        if (r.s.umax > BigInt(MAX_HELPER_MEM)) reject("verify-helper-arg", `${R} unbounded memory access, use 'var &= const' or 'if (var < const)' (size argument of ${sig.name}, at most ${MAX_HELPER_MEM})`);
        if (r.s.umax === 0n) return; // NULL or anything is fine with size 0
        if (ptr.k === "scalar" && constValue(ptr.s) === 0n && r.s.umin === 0n) return;
        helperMem(env, st, ptrNo, ptr, Number(r.s.umax), sig.name);
        return;
      }
    }
  });
  if (sig.changesPacket) {
    mapAllRegs(st, (r) => (r.k === "pkt" || r.k === "pkt_meta" || r.k === "pkt_end" ? { k: "scalar", s: unknown(), id: 0, why: `packet pointer invalidated by ${sig.name} at insn ${pc}` } : r));
  }
  const f = top(st);
  for (let n = 1; n <= 5; n++) f.regs[n] = NOT_INIT;
  switch (sig.ret) {
    case "scalar":
      f.regs[0] = scalarReg(unknown());
      break;
    case "u32":
      f.regs[0] = scalarReg(range(0n, 0xffffffffn));
      break;
    case "map_value_or_null":
      f.regs[0] = { k: "map_value_or_null", map: map!, off: 0, v: ZERO_VAR, id: freshId(st) };
      break;
  }
}

function readArg(st: State, n: number, sig: HelperSig): Reg {
  const r = top(st).regs[n]!;
  if (r.k === "not_init") reject("verify-uninit", `${regName(n)} !read_ok (argument ${n} of ${sig.name})`);
  return r;
}

// ---------------------------------------------------------------------------------------
// The step

/** Executes the slot at `pc` on `st` (owned by the step). */
export function step(env: Env, st: State, pc: number): Succ[] {
  const insn = env.slots[pc]!;
  const form = env.forms[pc];
  if (!form) return reject("verify-cfg", `invalid instruction opcode 0x${insn.opcode.toString(16)}`);
  const next = (): Succ[] => [{ state: st, pc: pc + 1 }];
  const size = SIZE_BYTES[insn.opcode & 0x18] ?? 8;
  switch (form.shape) {
    case "alu_imm":
    case "alu_reg":
    case "unary":
    case "movsx":
    case "end":
      alu(st, insn, form);
      return next();
    case "lddw": {
      const value = lddwValue(insn, env.slots[pc + 1]!);
      let r: Reg;
      switch (insn.src) {
        case 0:
          r = constReg(value);
          break;
        case 1:
        case 5:
          if (!env.maps[insn.imm]) reject("verify-map", `fd ${insn.imm} is not pointing to valid bpf_map`);
          r = { k: "map_ptr", map: insn.imm };
          break;
        case 2:
        case 6:
          if (!env.maps[insn.imm]) reject("verify-map", `fd ${insn.imm} is not pointing to valid bpf_map`);
          r = { k: "map_value", map: insn.imm, off: env.slots[pc + 1]!.imm, v: ZERO_VAR };
          break;
        default:
          r = reject("verify-cfg", `unsupported lddw pseudo source ${insn.src}`);
      }
      writeReg(st, insn.dst, r);
      return [{ state: st, pc: pc + 2 }];
    }
    case "ldx": {
      const ptr = readReg(st, insn.src);
      const signed = (insn.opcode & 0xe0) === 0x80;
      const loaded = access(env, st, { base: insn.src, ptr, off: insn.off, size, write: false, signed });
      writeReg(st, insn.dst, loaded);
      return next();
    }
    case "st":
    case "stx": {
      const ptr = readReg(st, insn.dst);
      const value = form.shape === "st" ? constReg(size === 8 ? sext32(insn.imm) : BigInt.asUintN(size * 8, BigInt(insn.imm))) : readReg(st, insn.src);
      access(env, st, { base: insn.dst, ptr, off: insn.off, size, write: true, value });
      return next();
    }
    case "atomic": {
      const ptr = readReg(st, insn.dst);
      const src = readReg(st, insn.src);
      const name = ATOMIC_OPS.find((a) => a.imm === insn.imm)!.name;
      if (src.k !== "scalar") reject("verify-leak", `${regName(insn.src)} leaks addr into mem (atomic ${name})`);
      if (ptr.k === "ctx" || ptr.k === "pkt" || ptr.k === "pkt_meta") reject("verify-mem", `BPF_ATOMIC stores into ${regName(insn.dst)} ${KIND_NAMES[ptr.k]} is not allowed`);
      if (name === "cmpxchg") readReg(st, 0);
      access(env, st, { base: insn.dst, ptr, off: insn.off, size, write: false });
      access(env, st, { base: insn.dst, ptr, off: insn.off, size, write: true, value: size === 8 ? scalarReg(unknown()) : undefined });
      const result = loadedScalar(size, false);
      if (name === "cmpxchg") writeReg(st, 0, result);
      else if (name.startsWith("fetch") || name === "xchg") writeReg(st, insn.src, result);
      return next();
    }
    case "ldabs":
    case "ldind":
      return reject("verify-cfg", "BPF_LD_[ABS|IND] instructions not allowed for this program type");
    case "ja":
      return [{ state: st, pc: pc + 1 + insn.off }];
    case "ja32":
      return [{ state: st, pc: pc + 1 + insn.imm }];
    case "jmp_imm":
    case "jmp_reg": {
      const w: Width = (insn.opcode & 7) === 6 ? 32 : 64;
      const op = JMP_OPS.find((j) => j.code === (insn.opcode & 0xf0))!.name as JmpOp;
      const a = readReg(st, insn.dst);
      let bNo: number | undefined;
      if (form.shape === "jmp_reg") {
        readReg(st, insn.src);
        bNo = insn.src;
      }
      const b: Reg = bNo !== undefined ? top(st).regs[bNo]! : constReg(sext32(insn.imm));
      if (w === 32 && (isPointer(a) || isPointer(b))) reject("verify-ptr", `${regName(isPointer(a) ? insn.dst : insn.src)} 32-bit pointer comparison prohibited`);
      const out: Succ[] = [];
      const edges: [number, [Relation, boolean]][] = [
        [pc + 1 + insn.off, EDGE_RELATIONS[op][0]],
        [pc + 1, EDGE_RELATIONS[op][1]],
      ];
      // The fall-through first: the driver continues with the last successor, the kernel's order.
      for (const [target, [rel, swapped]] of edges) {
        const s = cloneState(st);
        const [xNo, x, yNo, y] = swapped ? [bNo, b, insn.dst, a] : [insn.dst, a, bNo, b];
        const ok = relationOn(s, xNo, x, yNo, y, rel, w);
        if (ok) out.push({ state: s, pc: target });
      }
      return out;
    }
    case "call": {
      if (insn.src === 1) {
        if (st.frames.length >= MAX_CALL_FRAMES) reject("verify-call", `the call stack of ${st.frames.length + 1} frames is too deep (at most ${MAX_CALL_FRAMES})`);
        const target = pc + 1 + insn.imm;
        const caller = top(st);
        const frame = newFrame(target, pc + 1);
        for (let n = 1; n <= 5; n++) frame.regs[n] = caller.regs[n]!;
        frame.regs[FRAME_POINTER] = { k: "stack", frame: st.frames.length, off: 0 };
        st.frames.push(frame);
        return [{ state: st, pc: target }];
      }
      if (insn.src === 2) reject("verify-helper", "kernel function calls (kfunc) are not supported");
      callHelper(env, st, pc, insn.imm);
      // bpf_tail_call does not come back when it succeeds; when it fails, the program goes on.
      return next();
    }
    case "callx":
      return reject("verify-helper", "callx (indirect call) is not supported: call helpers by number");
    case "exit": {
      const r0 = top(st).regs[0]!;
      if (r0.k === "not_init") reject("verify-exit", "R0 !read_ok: r0 must be set before exit");
      if (st.frames.length === 1) {
        if (r0.k !== "scalar") reject("verify-leak", `R0 leaks addr as return value (R0=${formatReg(r0, env.maps)}): the program must return a scalar`);
        return [];
      }
      if (r0.k === "stack" && r0.frame === st.frames.length - 1) reject("verify-leak", "cannot return stack pointer to the caller");
      const done = st.frames.pop()!;
      const caller = top(st);
      caller.regs[0] = r0;
      for (let n = 1; n <= 5; n++) caller.regs[n] = NOT_INIT;
      return [{ state: st, pc: done.returnTo }];
    }
  }
}

/** The state a program starts in. */
export function initialState(env: Env): State {
  const st: State = { frames: [newFrame(0, -1)], memLen: 0n, nextId: LEN_ID + 1 };
  const f = st.frames[0]!;
  f.regs[FRAME_POINTER] = { k: "stack", frame: 0, off: 0 };
  if (env.type === "xdp") f.regs[1] = { k: "ctx", off: 0 };
  else {
    f.regs[1] = { k: "mem", off: 0, v: ZERO_VAR };
    f.regs[2] = { k: "scalar", s: range(0n, 0xffffffffn), id: LEN_ID };
  }
  return st;
}

