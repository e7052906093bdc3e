// Instruction selection from IR to BPF, one function at a time, into an emitter buffer with
// a fixup list for block jumps and local calls (as ubpf's JIT and Cranelift's MachBuffer do).
import { fail } from "../../../ir/diag/diag.js";
import { insn, lddwSlots, type Insn } from "../../../ir/bpf/insn.js";
import { CLASS, MODE, SIZE, SRC } from "../../../ir/bpf/opcodes.js";
import { type Arg, type Block, type BlockCall, type Func, type Inst, type Module } from "../../../ir/core/ir.js";
import { CTX_FIELDS, OPS } from "../../../ir/core/ops.js";
import { onlyReturns } from "./layout.js";
import { allocate, SCRATCH, type Location } from "./regalloc.js";
import { printArg } from "../../../ir/text/print.js";

const ALU: Record<string, { code: number; off?: number }> = {
  add: { code: 0x00 }, sub: { code: 0x10 }, mul: { code: 0x20 }, udiv: { code: 0x30 }, sdiv: { code: 0x30, off: 1 },
  or: { code: 0x40 }, and: { code: 0x50 }, shl: { code: 0x60 }, lshr: { code: 0x70 }, urem: { code: 0x90 }, srem: { code: 0x90, off: 1 },
  xor: { code: 0xa0 }, ashr: { code: 0xc0 },
};
const JMP: Record<string, number> = { eq: 0x10, ugt: 0x20, uge: 0x30, set: 0x40, ne: 0x50, sgt: 0x60, sge: 0x70, ult: 0xa0, ule: 0xb0, slt: 0xc0, sle: 0xd0 };
/** The condition that holds exactly when the key does not (jset has none). */
const INVERSE: Record<string, string> = { eq: "ne", ne: "eq", ugt: "ule", ule: "ugt", uge: "ult", ult: "uge", sgt: "sle", sle: "sgt", sge: "slt", slt: "sge" };
const SIZES: Record<string, number> = { u8: SIZE.B, u16: SIZE.H, u32: SIZE.W, u64: SIZE.DW, s8: SIZE.B, s16: SIZE.H, s32: SIZE.W };
const ATOMIC_IMM: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, fetch_add: 0x01, fetch_or: 0x41, fetch_and: 0x51, fetch_xor: 0xa1, xchg: 0xe1, cmpxchg: 0xf1 };
const MOV64 = CLASS.ALU64 | 0xb0;

/** One-operand IR operations: the BPF instruction that does each in place on register r. */
const UNARY_INSN: Readonly<Record<string, (r: number) => Insn>> = {
  neg: (r) => insn(CLASS.ALU64 | 0x80, r),
  neg32: (r) => insn(CLASS.ALU | 0x80, r),
  zext32: (r) => insn(CLASS.ALU | SRC.X | 0xb0, r, r), // mov32 r, r clears the upper half
  ...Object.fromEntries([16, 32, 64].flatMap((bits) => [
    [`be${bits}`, (r: number) => insn(CLASS.ALU | SRC.X | 0xd0, r, 0, 0, bits)],
    [`le${bits}`, (r: number) => insn(CLASS.ALU | SRC.K | 0xd0, r, 0, 0, bits)],
    [`bswap${bits}`, (r: number) => insn(CLASS.ALU64 | SRC.K | 0xd0, r, 0, 0, bits)],
  ])),
  // movsx: the offset is the source width (RFC 9669 §4.1)
  sext8: (r) => insn(CLASS.ALU64 | SRC.X | 0xb0, r, r, 8),
  sext16: (r) => insn(CLASS.ALU64 | SRC.X | 0xb0, r, r, 16),
  sext32: (r) => insn(CLASS.ALU64 | SRC.X | 0xb0, r, r, 32),
  sext8_32: (r) => insn(CLASS.ALU | SRC.X | 0xb0, r, r, 8),
  sext16_32: (r) => insn(CLASS.ALU | SRC.X | 0xb0, r, r, 16),
};
const FP = 10;

const fitsImm32 = (v: bigint) => v >= -(1n << 31n) && v < 1n << 31n;

export interface EmittedFunction {
  readonly slots: Insn[];
  /** Slot index of a `call local` and the function it calls. */
  readonly calls: { at: number; callee: string }[];
}

export function emitFunction(m: Module, f: Func): EmittedFunction {
  const frameOff = new Map<number, bigint>();
  const defs = new Map<number, Inst>();
  for (const b of f.blocks) for (const i of b.insts) if (i.result !== undefined) defs.set(i.result, i);
  // Which values are the frame pointer plus a constant: loads and stores through them use r10.
  for (const b of f.blocks) {
    for (const i of b.insts) {
      if (i.op === "frame") frameOff.set(i.result!, 0n);
      if (i.op === "ptradd" && i.args[0]?.kind === "value" && frameOff.has(i.args[0].id) && i.args[1]?.kind === "imm") frameOff.set(i.result!, frameOff.get(i.args[0].id)! + i.args[1].value);
    }
  }
  // Frame addresses take no register: each use recomputes r10 + K (or folds it into the access).
  const alloc = allocate(f, new Map([...frameOff].map(([id, off]) => [id, { remat: off } as Location])));
  // The lowest stack byte the function touches; spill slots go below it.
  let lowest = 0n;
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const base = i.args[1];
      if (/^(load|store|atomic)\./.test(i.op) && base?.kind === "value" && frameOff.has(base.id)) lowest = [lowest, frameOff.get(base.id)! + (i.args[2] as { value: bigint }).value].reduce((a, c) => (c < a ? c : a));
      if (i.op === "ptradd" && i.args[0]?.kind === "value" && frameOff.has(i.args[0].id) && i.args[1]?.kind !== "imm") lowest = -512n;
      for (const a of i.args) if (a.kind === "value" && frameOff.has(a.id) && frameOff.get(a.id)! < lowest) lowest = frameOff.get(a.id)!;
    }
  }
  const spillBase = Number(lowest) - (((Number(lowest) % 8) + 8) % 8);
  const slotOff = (s: number) => spillBase - 8 * (s + 1);
  // One more slot below the spills holds the key of an array lookup made into a helper call.
  const keyTemp = f.blocks.some((b) => b.insts.some((i) => i.op === "map.array_elem")) ? slotOff(alloc.slots) : undefined;
  if (keyTemp !== undefined && keyTemp < -512) fail("codegen", {}, [`@${f.name}: no stack left for an array lookup's key`]);
  if (alloc.slots && slotOff(alloc.slots - 1) < -512) fail("codegen", {}, [`@${f.name} needs ${alloc.slots} spill slots below stack offset ${spillBase}: more than the 512-byte BPF stack`]);

  const out: Insn[] = [];
  const calls: { at: number; callee: string }[] = [];
  const labels = new Map<string, number>();
  const fixups: { at: number; label: string }[] = [];
  const loc = (id: number): Location => alloc.loc.get(id) ?? { dead: true };
  const mov = (dst: number, src: number) => dst !== src && out.push(insn(MOV64 | SRC.X, dst, src));
  const movImm = (dst: number, v: bigint) => (fitsImm32(v) ? out.push(insn(MOV64, dst, 0, 0, Number(v))) : out.push(...lddwSlots(dst, v)));
  /** The register holding an operand, loading it into `scratch` when it is not in one. */
  const use = (a: Arg, scratch: number): number => load(srcOf(a), scratch);
  /** Writes register `r` to value `id`'s home. */
  const setResult = (id: number | undefined, r: number) => {
    if (id === undefined) return;
    const l = loc(id);
    if ("reg" in l) mov(l.reg, r);
    else if ("slot" in l) out.push(insn(CLASS.STX | MODE.MEM | SIZE.DW, FP, r, slotOff(l.slot)));
  };
  /** The register a result is computed in: its own, or r0 when it lives in a slot. */
  const target = (id: number | undefined): number => {
    const l = id === undefined ? { dead: true as const } : loc(id);
    return "reg" in l ? l.reg : SCRATCH.a;
  };
  type Source = { readonly loc: Location } | { readonly imm: bigint };
  const srcOf = (a: Arg): Source => (a.kind === "imm" ? { imm: a.value } : a.kind === "value" ? { loc: loc(a.id) } : fail("codegen", {}, [`@${f.name}: a ${a.kind} cannot be moved`]));
  const key = (l: Location) => ("reg" in l ? `r${l.reg}` : "slot" in l ? `s${l.slot}` : "remat" in l ? `fp${l.remat}` : "dead");
  const srcKey = (s: Source) => ("imm" in s ? "imm" : key(s.loc));
  /** The register holding a source, loading it into `scratch` when it is not in one. */
  const load = (s: Source, scratch: number): number => {
    if ("imm" in s) return movImm(scratch, s.imm), scratch;
    if ("reg" in s.loc) return s.loc.reg;
    if ("slot" in s.loc) return out.push(insn(CLASS.LDX | MODE.MEM | SIZE.DW, scratch, FP, slotOff(s.loc.slot))), scratch;
    if ("remat" in s.loc) {
      mov(scratch, FP);
      if (s.loc.remat !== 0n) out.push(insn(CLASS.ALU64 | SRC.K, scratch, 0, 0, Number(s.loc.remat)));
      return scratch;
    }
    return movImm(scratch, 0n), scratch;
  };
  /** Sequentialises a parallel move into registers and slots; a cycle is broken through r0. */
  const parallelMove = (moves: { dst: Location; src: Source }[]) => {
    let pending = moves.filter((m) => !("dead" in m.dst) && key(m.dst) !== srcKey(m.src));
    while (pending.length) {
      const ready = pending.find((m) => !pending.some((o) => o !== m && srcKey(o.src) === key(m.dst)));
      if (!ready) {
        const parked = srcKey(pending[0]!.src);
        mov(SCRATCH.a, load(pending[0]!.src, SCRATCH.a));
        pending = pending.map((o) => (srcKey(o.src) === parked ? { dst: o.dst, src: { loc: { reg: SCRATCH.a } } } : o));
        continue;
      }
      const { dst, src } = ready;
      if ("reg" in dst) mov(dst.reg, load(src, dst.reg));
      else if ("slot" in dst) out.push(insn(CLASS.STX | MODE.MEM | SIZE.DW, FP, load(src, SCRATCH.b), slotOff(dst.slot)));
      pending = pending.filter((m) => m !== ready);
    }
  };
  const edgeMoves = (c: BlockCall) => {
    const to = f.blocks.find((b) => b.name === c.block)!;
    parallelMove(to.params.map((p, k) => ({ dst: loc(p.id), src: srcOf(c.args[k]!) })));
  };
  /** The value an edge returns when its target only returns (`bbN(%p): ret %p`), else undefined. */
  const returnedBy = (c: BlockCall): Arg | undefined => {
    const to = f.blocks.find((b) => b.name === c.block)!;
    if (to.insts.length || to.term.op !== "ret") return undefined;
    const v = to.term.value;
    const k = v.kind === "value" ? to.params.findIndex((p) => p.id === v.id) : -1;
    return k >= 0 ? c.args[k] : v.kind === "imm" ? v : undefined;
  };
  /** The block the last block emitted falls into, if any. */
  let fellInto: string | undefined;
  /** Takes an edge: its moves and a jump, or, into a block that only returns, the return itself. */
  const takeEdge = (c: BlockCall, next: string | undefined) => {
    const ret = c.block === next ? undefined : returnedBy(c);
    if (ret) {
      mov(0, use(ret, 0));
      out.push(insn(CLASS.JMP | 0x90));
      return;
    }
    edgeMoves(c);
    if (c.block !== next) jumpTo(c.block);
    else fellInto = c.block;
  };
  const jumpTo = (label: string) => {
    fixups.push({ at: out.length, label });
    out.push(insn(CLASS.JMP, 0, 0, 0, 0));
  };
  const memBase = (a: Arg): { reg: number; add: number } => {
    if (a.kind === "value" && frameOff.has(a.id)) return { reg: FP, add: Number(frameOff.get(a.id)!) };
    return { reg: use(a, SCRATCH.b), add: 0 };
  };

  // Prologue: the parameters arrive in r1-r5.
  parallelMove(f.blocks[0]!.params.map((p, k) => ({ dst: loc(p.id), src: { loc: { reg: k + 1 } } })));

  const uses = new Map<number, number>();
  for (const b of f.blocks) for (const x of [...b.insts.flatMap((i) => i.args), ...termArgs(b)]) if (x.kind === "value") uses.set(x.id, (uses.get(x.id) ?? 0) + 1);

  const stubs: { key: string; label: string; edge: BlockCall }[] = [];
  // A block that only returns is reached by falling into it from the block before;
  // every other edge into it returns in place (takeEdge), so without such a fall-through
  // it would be dead code, which the verifier refuses ("unreachable insn").
  f.blocks.forEach((b, bi) => {
    const fallenInto = fellInto === b.name;
    fellInto = undefined;
    if (bi > 0 && onlyReturns(b) && !fallenInto) return;
    labels.set(b.name, out.length);
    const next = f.blocks[bi + 1]?.name;
    // A condition computed last and used only by the branch becomes the branch itself.
    const last = b.insts[b.insts.length - 1];
    const fusedInst = b.term.op === "br_if" && b.term.cond.kind === "value" && last?.result === b.term.cond.id && uses.get(b.term.cond.id) === 1 ? last : undefined;
    for (const i of b.insts) {
      // A value nobody reads, from an operation without effects, needs no code.
      const home = i.result === undefined ? undefined : loc(i.result);
      if (i === fusedInst || (home && ("remat" in home || ("dead" in home && !OPS.get(i.op)?.effect)))) continue;
      selectInst(i);
    }
    const t = b.term;
    switch (t.op) {
      case "ret":
        mov(0, use(t.value, 0));
        out.push(insn(CLASS.JMP | 0x90));
        break;
      case "unreachable":
        out.push(insn(MOV64, 0, 0, 0, 0), insn(CLASS.JMP | 0x90));
        break;
      case "br":
        takeEdge(t.to, next);
        break;
      case "br_if": {
        // Fall through into the next block where one edge leads there (inverting the
        // condition when that is the then-edge); an edge with moves to make jumps to a stub
        // placed after the function's blocks.
        const invertible = !fusedInst || fusedInst.op === "packet.check" || INVERSE[fusedInst.op.split(".")[1]!] !== undefined;
        const flip = t.then.block === next && t.else.block !== next && invertible;
        const [jumpEdge, fallEdge] = flip ? [t.else, t.then] : [t.then, t.else];
        const needsStub = jumpEdge.args.length > 0 || returnedBy(jumpEdge) !== undefined;
        // Edges that do the same thing share one stub (`return 2` from three checks).
        const stubKey = `${jumpEdge.block}(${jumpEdge.args.map(printArg).join(",")})`;
        const shared = stubs.find((x) => x.key === stubKey);
        const jumpLabel = !needsStub ? jumpEdge.block : shared ? shared.label : `${b.name}.edge${stubs.length}`;
        if (needsStub && !shared) stubs.push({ key: stubKey, label: jumpLabel, edge: jumpEdge });
        branchOn(fusedInst, t.cond, jumpLabel, flip);
        takeEdge(fallEdge, next);
        break;
      }
    }
  });
  for (const st of stubs) {
    labels.set(st.label, out.length);
    takeEdge(st.edge, undefined);
  }
  for (const fx of fixups) {
    const to = labels.get(fx.label)!;
    const off = to - (fx.at + 1);
    if (off < -32768 || off > 32767) fail("codegen", {}, [`@${f.name}: jump of ${off} instructions does not fit 16 bits`]);
    out[fx.at] = { ...out[fx.at]!, off };
  }
  return { slots: out, calls };

  function termArgs(b: Block): Arg[] {
    const t = b.term;
    return t.op === "br" ? [...t.to.args] : t.op === "br_if" ? [t.cond, ...t.then.args, ...t.else.args] : t.op === "ret" ? [t.value] : [];
  }

  /** Conditional jump to `label` when the condition holds (when it does not, with `invert`). */
  function branchOn(condInst: Inst | undefined, cond: Arg, label: string, invert = false): void {
    if (condInst && /^icmp(32)?\./.test(condInst.op)) {
      const is32 = condInst.op.startsWith("icmp32");
      const c = invert ? INVERSE[condInst.op.split(".")[1]!]! : condInst.op.split(".")[1]!;
      const [a, bArg] = condInst.args as [Arg, Arg];
      const ra = use(a, SCRATCH.a);
      const cls = is32 ? CLASS.JMP32 : CLASS.JMP;
      const immOk = bArg.kind === "imm" && (is32 || fitsImm32(bArg.value));
      // Operands first: loading one may emit instructions, and the fixup must name the jump.
      const rb = immOk ? 0 : use(bArg, SCRATCH.b);
      fixups.push({ at: out.length, label });
      if (immOk) out.push(insn(cls | SRC.K | JMP[c]!, ra, 0, 0, Number(BigInt.asIntN(32, (bArg as { value: bigint }).value))));
      else out.push(insn(cls | SRC.X | JMP[c]!, ra, rb));
      return;
    }
    if (condInst && condInst.op === "packet.check") {
      const [p, end, len] = condInst.args as [Arg, Arg, Arg];
      mov(SCRATCH.b, use(p, SCRATCH.b));
      addTo(SCRATCH.b, len);
      const re = use(end, SCRATCH.a);
      fixups.push({ at: out.length, label });
      out.push(insn(CLASS.JMP | SRC.X | JMP[invert ? "ugt" : "ule"]!, SCRATCH.b, re));
      return;
    }
    const r = use(cond, SCRATCH.a);
    fixups.push({ at: out.length, label });
    out.push(insn(CLASS.JMP | SRC.K | JMP[invert ? "eq" : "ne"]!, r, 0, 0, 0));
  }

  function addTo(r: number, v: Arg): void {
    if (v.kind === "imm" && fitsImm32(v.value)) out.push(insn(CLASS.ALU64 | SRC.K | 0x00, r, 0, 0, Number(v.value)));
    else out.push(insn(CLASS.ALU64 | SRC.X | 0x00, r, use(v, SCRATCH.a)));
  }

  function binary(i: Inst, code: number, off: number, is32: boolean): void {
    const [a, bArg] = i.args as [Arg, Arg];
    const cls = is32 ? CLASS.ALU : CLASS.ALU64;
    const d = target(i.result);
    const immOk = bArg.kind === "imm" && (is32 || fitsImm32(bArg.value));
    const rb = immOk ? -1 : use(bArg, SCRATCH.b);
    const t = rb === d ? SCRATCH.a : d;
    if (a.kind === "imm") movImm(t, a.value);
    else mov(t, use(a, t));
    if (immOk) out.push(insn(cls | SRC.K | code, t, 0, off, Number(BigInt.asIntN(32, (bArg as { value: bigint }).value))));
    else out.push(insn(cls | SRC.X | code, t, rb, off, 0));
    setResult(i.result, t);
  }

  function unary(i: Inst, emitOp: (r: number) => void): void {
    const d = target(i.result);
    const a = i.args[0]!;
    if (a.kind === "imm") movImm(d, a.value);
    else mov(d, use(a, d));
    emitOp(d);
    setResult(i.result, d);
  }

  /** Arguments into r<first>.., then the call; the result comes back in r0. */
  function call(i: Inst, args: Arg[], emitCall: () => void, first = 1): void {
    parallelMove(args.map((a, k) => ({ dst: { reg: k + first }, src: srcOf(a) })));
    emitCall();
    setResult(i.result, 0);
  }

  function selectInst(i: Inst): void {
    const op = i.op;
    const base = op.replace(/32$/, "");
    if (ALU[base] && !op.includes(".")) return binary(i, ALU[base]!.code, ALU[base]!.off ?? 0, op.endsWith("32"));
    if (op === "ptradd") return binary(i, 0x00, 0, false);
    switch (op) {
      case "const":
        return unary(i, () => undefined);
      case "undef":
        movImm(target(i.result), 0n);
        return setResult(i.result, target(i.result));
      case "frame":
        return void (mov(target(i.result), FP), setResult(i.result, target(i.result)));
      case "map.ref":
      case "global.addr": {
        const idx = m.maps.findIndex((x) => x.name === (i.args[0] as { name: string }).name);
        const d = target(i.result);
        const value = op === "map.ref" ? BigInt(idx) : (BigInt.asUintN(32, (i.args[1] as { value: bigint }).value) << 32n) | BigInt(idx);
        out.push(...lddwSlots(d, value, op === "map.ref" ? 1 : 2));
        return setResult(i.result, d);
      }
      case "ctx.get": {
        const field = CTX_FIELDS[(i.args[1] as { word: string }).word]!;
        const d = target(i.result);
        out.push(insn(CLASS.LDX | MODE.MEM | SIZE.W, d, use(i.args[0]!, SCRATCH.b), field.offset));
        return setResult(i.result, d);
      }
      case "select": {
        const d = target(i.result);
        const [c, a, bArg] = i.args as [Arg, Arg, Arg];
        const rc = use(c, SCRATCH.b);
        // d may share a register with the condition or with b (both may die here): writing a
        // into d first would destroy them, so the result is then built in r0.
        const bHome = bArg.kind === "value" ? loc(bArg.id) : undefined;
        const t = d === rc || (bHome && "reg" in bHome && bHome.reg === d) ? SCRATCH.a : d;
        if (a.kind === "imm") movImm(t, a.value);
        else mov(t, use(a, t));
        const skip = out.length;
        out.push(insn(CLASS.JMP | SRC.K | JMP["ne"]!, rc, 0, 0, 0));
        const from = out.length;
        if (bArg.kind === "imm") movImm(t, bArg.value);
        else mov(t, use(bArg, t));
        out[skip] = { ...out[skip]!, off: out.length - from };
        return setResult(i.result, t);
      }
      case "packet.check":
      case "map.array_elem":
      case "map.lookup":
      case "map.update":
      case "map.delete":
        break;
      case "call.helper":
        return call(i, i.args.slice(1), () => out.push(insn(CLASS.JMP | 0x80, 0, 0, 0, Number((i.args[0] as { value: bigint }).value))));
      case "call":
        return call(i, i.args.slice(1), () => {
          calls.push({ at: out.length, callee: (i.args[0] as { name: string }).name });
          out.push(insn(CLASS.JMP | 0x80, 0, 1, 0, 0));
        });
      case "table.apply":
        return void fail("codegen", {}, ["table.apply reaches BPF code generation: run the lower-tables pass first (ir/passes/lower-tables.ts)"]);
    }
    if (op === "map.array_elem") {
      // BPF has no direct element addressing (the kernel's own JIT inlines the lookup), so
      // the key goes back to the stack and the lookup is a helper call again.
      const idx = m.maps.findIndex((x) => x.name === (i.args[0] as { name: string }).name);
      const key = i.args[1]!;
      if (key.kind === "imm") out.push(insn(CLASS.ST | MODE.MEM | SIZE.W, FP, 0, keyTemp!, Number(BigInt.asIntN(32, key.value))));
      else out.push(insn(CLASS.STX | MODE.MEM | SIZE.W, FP, use(key, SCRATCH.a), keyTemp!));
      out.push(insn(MOV64 | SRC.X, 2, FP), insn(CLASS.ALU64 | SRC.K, 2, 0, 0, keyTemp!), ...lddwSlots(1, BigInt(idx), 1), insn(CLASS.JMP | 0x80, 0, 0, 0, 1));
      return setResult(i.result, 0);
    }
    if (op.startsWith("map.")) {
      const idx = m.maps.findIndex((x) => x.name === (i.args[0] as { name: string }).name);
      const helper = { "map.lookup": 1, "map.update": 2, "map.delete": 3 }[op]!;
      const rest = i.args.slice(1);
      // The map goes to r1 after the other arguments are in place (one of them may come from r1).
      return call(i, rest, () => out.push(...lddwSlots(1, BigInt(idx), 1), insn(CLASS.JMP | 0x80, 0, 0, 0, helper)), 2);
    }
    if (op === "packet.check" || /^icmp(32)?\./.test(op)) {
      // A condition used other than by its block's branch: materialise 0 or 1. The branch
      // comes first, so that loading its operands cannot clobber the result register.
      const d = target(i.result);
      const whenTrue = `${f.name}.t${out.length}`;
      const done = `${f.name}.d${out.length}`;
      branchOn(i, { kind: "imm", value: 0n }, whenTrue);
      movImm(d, 0n);
      jumpTo(done);
      labels.set(whenTrue, out.length);
      movImm(d, 1n);
      labels.set(done, out.length);
      return setResult(i.result, d);
    }
    const [kind, size] = op.split(".") as [string, string, string?];
    if (kind === "load") {
      const b = memBase(i.args[1]!);
      const off = Number((i.args[2] as { value: bigint }).value) + b.add;
      const d = target(i.result);
      const mode = size.startsWith("s") ? MODE.MEMSX : MODE.MEM;
      out.push(insn(CLASS.LDX | mode | SIZES[size]!, d, b.reg, off));
      return setResult(i.result, d);
    }
    if (kind === "store") {
      const b = memBase(i.args[1]!);
      const off = Number((i.args[2] as { value: bigint }).value) + b.add;
      const v = i.args[3]!;
      if (v.kind === "imm" && fitsImm32(v.value)) out.push(insn(CLASS.ST | MODE.MEM | SIZES[size]!, b.reg, 0, off, Number(v.value)));
      else out.push(insn(CLASS.STX | MODE.MEM | SIZES[size]!, b.reg, use(v, SCRATCH.a), off));
      return;
    }
    if (kind === "atomic") {
      const [, aop, asize] = op.split(".") as [string, string, string];
      const b = memBase(i.args[1]!);
      const off = Number((i.args[2] as { value: bigint }).value) + b.add;
      const sz = asize === "u64" ? SIZE.DW : SIZE.W;
      if (aop === "cmpxchg") {
        if (b.reg === SCRATCH.a || b.reg === SCRATCH.b) fail("codegen", {}, ["cmpxchg on a spilled base pointer is not supported yet"]);
        mov(SCRATCH.b, use(i.args[4]!, SCRATCH.b));
        mov(SCRATCH.a, use(i.args[3]!, SCRATCH.a));
        out.push(insn(CLASS.STX | MODE.ATOMIC | sz, b.reg, SCRATCH.b, off, ATOMIC_IMM.cmpxchg));
        return setResult(i.result, SCRATCH.a);
      }
      const rv = use(i.args[3]!, SCRATCH.a);
      mov(SCRATCH.a, rv);
      out.push(insn(CLASS.STX | MODE.ATOMIC | sz, b.reg, SCRATCH.a, off, ATOMIC_IMM[aop]!));
      if (aop.startsWith("fetch") || aop === "xchg") return setResult(i.result, SCRATCH.a);
      if (i.result !== undefined && !("dead" in loc(i.result))) movImm(target(i.result), 0n), setResult(i.result, target(i.result));
      return;
    }
    const u = UNARY_INSN[op];
    if (u) return unary(i, (r) => out.push(u(r)));
    fail("codegen", {}, [`@${f.name}: no BPF lowering for ${op}`]);
  }
}
