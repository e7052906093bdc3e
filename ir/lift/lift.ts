// Lifting BPF to IR: CFG recovery (cfg.ts), one IR function per BPF function, SSA by
// register liveness (a block takes as parameters exactly the registers live into it, and
// every branch passes them), then type inference (types.ts) that finds the pointers, their
// regions, and the xdp_md field reads.
import { diag, DiagnosticError, type Diagnostic } from "../diag/diag.js";
import { formOf, lddwValue, type Insn } from "../bpf/insn.js";
import { ATOMIC_OPS as BPF_ATOMIC, type Form } from "../bpf/opcodes.js";
import type { BpfObject } from "../bpf/object.js";
import { HELPERS_BY_ID } from "../../runtime/helpers/table.js";
import { imm, sym, val, word, type Arg, type Block, type Func, type Inst, type Module, type Param, type Terminator, type Type } from "../core/ir.js";
import { validateModule } from "../core/validate.js";
import { functionEntries, recoverFunction, type BpfBlock } from "./cfg.js";
import { inferTypes } from "./types.js";

const ALU_TO_IR: Record<string, string> = { add: "add", sub: "sub", mul: "mul", div: "udiv", sdiv: "sdiv", mod: "urem", smod: "srem", or: "or", and: "and", lsh: "shl", rsh: "lshr", arsh: "ashr", xor: "xor", neg: "neg" };
const JMP_TO_IR: Record<string, string> = { jeq: "eq", jne: "ne", jgt: "ugt", jge: "uge", jlt: "ult", jle: "ule", jsgt: "sgt", jsge: "sge", jslt: "slt", jsle: "sle", jset: "set" };
const SIZE_NAME: Record<number, string> = { 1: "8", 2: "16", 4: "32", 8: "64" };
const MAP_HELPERS: Record<number, string> = { 1: "map.lookup", 2: "map.update", 3: "map.delete" };

/** Registers an instruction reads and writes (r10 is the frame, never a variable). */
function regEffects(s: Insn, f: Form): { uses: number[]; defs: number[] } {
  const r = (n: number) => (n === 10 ? [] : [n]);
  switch (f.shape) {
    case "alu_imm":
      return { uses: f.mnemonic.startsWith("mov") ? [] : r(s.dst), defs: r(s.dst) };
    case "alu_reg":
      return { uses: f.mnemonic.startsWith("mov") ? r(s.src) : [...r(s.dst), ...r(s.src)], defs: r(s.dst) };
    case "unary":
    case "end":
      return { uses: r(s.dst), defs: r(s.dst) };
    case "movsx":
      return { uses: r(s.src), defs: r(s.dst) };
    case "ldx":
      return { uses: r(s.src), defs: r(s.dst) };
    case "st":
      return { uses: r(s.dst), defs: [] };
    case "stx":
      return { uses: [...r(s.dst), ...r(s.src)], defs: [] };
    case "atomic": {
      const name = f.mnemonic;
      if (name.includes("cmpxchg")) return { uses: [...r(s.dst), ...r(s.src), 0], defs: [0] };
      return { uses: [...r(s.dst), ...r(s.src)], defs: name.includes("fetch") || name.includes("xchg") ? [s.src] : [] };
    }
    case "lddw":
      return { uses: [], defs: [s.dst] };
    case "jmp_imm":
      return { uses: r(s.dst), defs: [] };
    case "jmp_reg":
      return { uses: [...r(s.dst), ...r(s.src)], defs: [] };
    case "call": {
      const argc = f.fixed.src === 1 ? 5 : (HELPERS_BY_ID.get(s.imm)?.args ?? 5);
      return { uses: [1, 2, 3, 4, 5].slice(0, argc), defs: [0, 1, 2, 3, 4, 5] };
    }
    case "exit":
      return { uses: [0], defs: [] };
    default:
      return { uses: [], defs: [] };
  }
}

interface Liveness {
  liveIn: Map<number, number[]>;
}

function liveness(slots: readonly Insn[], blocks: readonly BpfBlock[]): Liveness {
  const useDef = new Map<number, { use: Set<number>; def: Set<number> }>();
  for (const b of blocks) {
    const use = new Set<number>();
    const def = new Set<number>();
    for (let i = b.start; i < b.end; i++) {
      const s = slots[i]!;
      const f = formOf(s);
      if (!f || (i > b.start && formOf(slots[i - 1]!)?.shape === "lddw")) continue;
      const e = regEffects(s, f);
      for (const u of e.uses) if (!def.has(u)) use.add(u);
      for (const d of e.defs) def.add(d);
    }
    useDef.set(b.start, { use, def });
  }
  const liveIn = new Map<number, Set<number>>(blocks.map((b) => [b.start, new Set(useDef.get(b.start)!.use)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of [...blocks].reverse()) {
      const out = new Set<number>();
      for (const s of b.succs) for (const r of liveIn.get(s) ?? []) out.add(r);
      const inSet = liveIn.get(b.start)!;
      const { def } = useDef.get(b.start)!;
      for (const r of out) {
        if (!def.has(r) && !inSet.has(r)) {
          inSet.add(r);
          changed = true;
        }
      }
    }
  }
  return { liveIn: new Map([...liveIn].map(([k, v]) => [k, [...v].sort((a, b) => a - b)])) };
}

/** Lifts one program of an object (with its subprograms) to an IR module. */
export function liftProgram(object: BpfObject, program: number, type: Module["type"], file?: string): Module {
  const prog = object.programs[program]!;
  const slots = prog.slots;
  const entries = functionEntries(slots);
  const names = new Map(entries.map((e) => [e, e === 0 ? prog.name : (prog.functions.get(e) ?? `f${e}`)]));
  const diags: Diagnostic[] = [];
  const funcs = entries.map((e) => liftFunction(object, slots, e, names, e === 0 ? type : "sub", diags, file));
  if (diags.length) throw new DiagnosticError(diags);
  const module = inferTypes({ type, maps: object.maps, funcs });
  const invalid = validateModule(module, file);
  if (invalid.length) throw new DiagnosticError(invalid.map((d) => ({ ...d, severity: "bug" as const })));
  return module;
}

function liftFunction(object: BpfObject, slots: readonly Insn[], entry: number, names: Map<number, string>, kind: Module["type"] | "sub", diags: Diagnostic[], file?: string): Func {
  const cfg = recoverFunction(slots, entry);
  const { liveIn } = liveness(slots, cfg.blocks);
  let next = 0;
  const fresh = () => next++;
  const blockName = (start: number) => `bb${start}`;
  const out: Block[] = [];
  const usesFrame = cfg.blocks.some((b) => slots.slice(b.start, b.end).some((s) => s.dst === 10 || s.src === 10));

  // Entry parameters by program type; subprograms take r1-r5.
  const entryParams: [number, Type][] = kind === "xdp" ? [[1, "ptr.ctx"]] : kind === "raw" ? [[1, "ptr.mem"], [2, "i64"]] : [1, 2, 3, 4, 5].map((r) => [r, "i64"]);
  const params: Param[] = entryParams.map(([, t]) => ({ id: fresh(), type: t }));
  const entryInsts: Inst[] = [];
  const frameId = usesFrame ? fresh() : undefined;
  if (frameId !== undefined) entryInsts.push({ result: frameId, type: "ptr.stack", op: "frame", args: [] });
  const entryRegs: (Arg | undefined)[] = new Array(10).fill(undefined);
  entryParams.forEach(([r], k) => (entryRegs[r] = val(params[k]!.id)));

  const undef = (insts: Inst[]): Arg => {
    const id = fresh();
    insts.push({ result: id, type: "i64", op: "undef", args: [] });
    return val(id);
  };
  const passArgs = (to: number, regs: (Arg | undefined)[], insts: Inst[]) => ({ block: blockName(to), args: liveIn.get(to)!.map((r) => regs[r] ?? undef(insts)) });

  if (cfg.entryIsTarget) {
    out.push({ name: "entry", params, insts: entryInsts, term: { op: "br", to: passArgs(entry, entryRegs, entryInsts) } });
  }
  for (const b of cfg.blocks) {
    const isEntry = b.start === entry && !cfg.entryIsTarget;
    const insts: Inst[] = isEntry ? entryInsts : [];
    const regs: (Arg | undefined)[] = isEntry ? [...entryRegs] : new Array(10).fill(undefined);
    const blockParams: Param[] = isEntry ? params : liveIn.get(b.start)!.map((r) => {
      const p = { id: fresh(), type: "i64" as Type };
      regs[r] = val(p.id);
      return p;
    });
    const read = (r: number): Arg => (r === 10 ? val(frameId!) : (regs[r] ??= undef(insts)));
    const effect = (op: string, args: Arg[]): void => void insts.push({ op, args });
    const emit = (op: string, args: Arg[], type: Type = "i64"): Arg => {
      const id = fresh();
      insts.push({ result: id, type, op, args });
      return val(id);
    };
    let term: Terminator | undefined;
    for (let i = b.start; i < b.end; i++) {
      const s = slots[i]!;
      const at = i, first = insts.length;
      const f = formOf(s)!;
      const name = f.mnemonic;
      const is32 = (s.opcode & 7) === 4 || (s.opcode & 7) === 6;
      const loc = { file, insn: i };
      switch (f.shape) {
        case "alu_imm":
        case "alu_reg": {
          const base = name.replace(/32$/, "");
          const rhs = f.shape === "alu_reg" ? read(s.src) : imm(is32 ? BigInt(s.imm >>> 0) : BigInt(s.imm));
          if (base === "mov") regs[s.dst] = is32 ? (rhs.kind === "imm" ? imm(BigInt.asUintN(32, rhs.value)) : emit("zext32", [rhs])) : rhs;
          else regs[s.dst] = emit(ALU_TO_IR[base]! + (is32 ? "32" : ""), [read(s.dst), rhs]);
          break;
        }
        case "unary":
          regs[s.dst] = emit(is32 ? "neg32" : "neg", [read(s.dst)]);
          break;
        case "end": {
          const kindName = name.replace(/\d+$/, "");
          regs[s.dst] = emit(`${kindName === "bswap" ? "bswap" : kindName}${s.imm}`, [read(s.dst)]);
          break;
        }
        case "movsx":
          regs[s.dst] = emit(is32 ? `sext${s.off}_32` : `sext${s.off}`, [read(s.src)]);
          break;
        case "ldx": {
          const size = (name.startsWith("ldxs") ? "s" : "u") + SIZE_NAME[{ b: 1, h: 2, w: 4, dw: 8 }[name.replace(/^ldxs?/, "")]!];
          regs[s.dst] = emit(`load.${size}`, [word("any"), read(s.src), imm(s.off)]);
          break;
        }
        case "st":
        case "stx": {
          const bytes = { b: 1, h: 2, w: 4, dw: 8 }[name.replace(/^stx?/, "")]!;
          effect(`store.u${SIZE_NAME[bytes]}`, [word("any"), read(s.dst), imm(s.off), f.shape === "st" ? imm(s.imm) : read(s.src)]);
          break;
        }
        case "atomic": {
          const a = BPF_ATOMIC.find((x) => x.imm === s.imm)!.name.replace(" ", "_");
          const size = name.endsWith("32") ? "u32" : "u64";
          if (a === "cmpxchg") regs[0] = emit(`atomic.cmpxchg.${size}`, [word("any"), read(s.dst), imm(s.off), read(0), read(s.src)]);
          else {
            const old = emit(`atomic.${a}.${size}`, [word("any"), read(s.dst), imm(s.off), read(s.src)]);
            if (a.startsWith("fetch") || a === "xchg") regs[s.src] = old;
          }
          break;
        }
        case "lddw": {
          const map = object.maps[s.imm];
          if (f.fixed.src === 0) regs[s.dst] = imm(BigInt.asIntN(64, lddwValue(s, slots[i + 1]!)));
          else if (f.fixed.src === 1 && map) regs[s.dst] = emit("map.ref", [sym(map.name)], "map");
          else if (f.fixed.src === 2 && map) regs[s.dst] = emit("global.addr", [sym(map.name), imm(slots[i + 1]!.imm)], "ptr.global");
          else diags.push(diag("ir-lift", loc, [`lddw with pseudo source ${f.fixed.src} is not supported`]));
          i++;
          break;
        }
        case "ja":
        case "ja32":
          term = { op: "br", to: passArgs(b.succs[0]!, regs, insts), origin: at };
          break;
        case "jmp_imm":
        case "jmp_reg": {
          const rhs = f.shape === "jmp_reg" ? read(s.src) : imm(is32 ? BigInt(s.imm >>> 0) : BigInt(s.imm));
          const cond = emit(`icmp${is32 ? "32" : ""}.${JMP_TO_IR[name.replace(/32$/, "")]}`, [read(s.dst), rhs], "i1");
          term = { op: "br_if", cond, then: passArgs(b.succs[0]!, regs, insts), else: passArgs(b.succs[1]!, regs, insts), origin: at };
          break;
        }
        case "call": {
          if (f.fixed.src === 1) {
            const target = i + 1 + s.imm;
            regs[0] = emit("call", [sym(names.get(target)!), read(1), read(2), read(3), read(4), read(5)]);
          } else if (f.fixed.src === 0) {
            const helper = HELPERS_BY_ID.get(s.imm);
            const argc = helper?.args ?? 5;
            const mapArg = regs[1];
            const mapInst = mapArg?.kind === "value" ? insts.find((x) => x.result === mapArg.id && x.op === "map.ref") : undefined;
            const mapOp = MAP_HELPERS[s.imm];
            if (mapOp && mapInst) {
              const args = [mapInst.args[0]!, ...[2, 3, 4].slice(0, argc - 1).map(read)];
              regs[0] = emit(mapOp, args, mapOp === "map.lookup" ? "ptr.map_value" : "i64");
            } else {
              regs[0] = emit("call.helper", [imm(s.imm), ...[1, 2, 3, 4, 5].slice(0, argc).map(read)]);
            }
          } else diags.push(diag("ir-lift", loc, ["kfunc calls are not supported"]));
          for (const r of [1, 2, 3, 4, 5]) regs[r] = undefined;
          break;
        }
        case "exit":
          term = { op: "ret", value: read(0), origin: at };
          break;
        default:
          diags.push(diag("ir-lift", loc, [`${name} is not supported by the IR yet`]));
      }
      // What this slot made (undefs for registers it read included) points back at it; so
      // does its terminator (a jump or exit). A fall-through block has no jump: no origin.
      for (let k = first; k < insts.length; k++) insts[k] = { ...insts[k]!, origin: at };
    }
    term ??= { op: "br", to: passArgs(b.succs[0]!, regs, insts) };
    out.push({ name: blockName(b.start), params: blockParams, insts, term });
  }
  return { name: names.get(entry)!, blocks: out };
}
