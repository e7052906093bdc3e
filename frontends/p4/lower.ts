// P4-16 → bpfoff IR (ir/core). Type checking (types.ts) happens as expressions are lowered;
// every type error is collected, and the IR is returned only when there is none.
//
// Storage: every scalar of the program (header fields, validity bits, variables, the
// parser's packet offset) gets its own stack slot of 1, 2, 4 or 8 bytes; mem2reg later
// turns the slots into SSA values, so the lowering never builds phi nodes itself.
// Values are i64 holding the bits of a bit<W>/int<W> zero-extended (masked to W bits);
// bool is 0 or 1. A bit<W> wider than 64 bits (IPv6 addresses) is kept in 64-bit chunks
// and can be extracted, emitted, copied and compared with == and != (no arithmetic).
//
// Packets: the parser keeps its byte offset in a slot; each extract checks
// `packet.check data+off, data_end, size` (failing: reject, error.PacketTooShort) and reads
// fields MSB first (network byte order, §8.2 bit order). The deparser computes the emitted
// length, moves the packet start with bpf_xdp_adjust_head(parsed - emitted), and writes the
// valid headers in order.
//
// Tables: const entries become code (compares in entry order, first match wins, §14.2.1.4);
// other tables become maps named <control>_<table> (p4c's eBPF naming): exact keys a hash
// map, one lpm key (last) an lpm_trie, any ternary or range key a tcam map. The value is a
// u32 action index (the position in `actions`) followed by the action's data parameters.
// The lookup is one `table.apply` instruction (key fields with match kinds and widths);
// ir/passes/lower-tables.ts packs the key for BPF. A miss reads the table's default-action
// map (<control>_<table>_defaultAction, unless the default is const): what the control
// plane set, or the declared default_action. tables.ts describes these maps for the
// control plane.
import { diag, DiagnosticError } from "../../ir/diag/diag.js";
import { imm, sym, val, word, type Arg, type Block, type Inst, type Module, type Terminator, type Type } from "../../ir/core/ir.js";
import type { MapDef } from "../../runtime/maps/def.js";
import { TABLE_MATCH_KINDS } from "../../ir/core/ops.js";
import type { ActionDecl, ActionRef, Decl, Expr, Keyset, LocalDecl, Param, Pos, Program, Stmt, TableDecl } from "./ast.js";
import { ARCHITECTURES, XDP, type Architecture } from "./arch.js";
import { assignable, BOOL, castAllowed, constValue, declareTypes, INFINT, newTypeEnv, resolveType, sameType, typeError, typeName, unify, VOID, widthOf, type P4Type, type TypeEnv } from "./types.js";
import { keyLayout, valueLayout, type TableInfo } from "./tables.js";

interface Slot {
  readonly off: number;
  readonly size: 1 | 2 | 4 | 8;
}

type Loc =
  | { readonly l: "scalar"; readonly slot: Slot; readonly type: P4Type }
  /** bit<W>/int<W> wider than 64 bits: 8-byte chunks, the least significant first (copied, compared, extracted, emitted). */
  | { readonly l: "wide"; readonly slots: readonly Slot[]; readonly type: P4Type }
  | { readonly l: "value"; readonly arg: Arg; readonly type: P4Type }
  | { readonly l: "struct"; readonly type: P4Type; readonly fields: ReadonlyMap<string, Loc>; readonly valid?: Slot }
  | { readonly l: "stack"; readonly type: P4Type & { t: "stack" }; readonly elems: readonly Loc[]; readonly next: Slot }
  | { readonly l: "packet"; readonly dir: "in" | "out" }
  /** varbit<W> (the last field of its header): ceil(W/8) bytes in packet order at `buf`, and the current length in bits. */
  | { readonly l: "varbit"; readonly buf: number; readonly maxBytes: number; readonly len: Slot; readonly type: P4Type }
  | { readonly l: "extern"; readonly ext: string; readonly map: string; readonly type: P4Type }
  | { readonly l: "table"; readonly decl: TableDecl; readonly control: string }
  | { readonly l: "action"; readonly decl: ActionDecl }
  | { readonly l: "typeRef"; readonly type: P4Type };

export interface P4Module {
  readonly module: Module;
  readonly tables: readonly TableInfo[];
  readonly architecture: string;
}

const XDP_ADJUST_HEAD = 44;
const BPF_REDIRECT = 23;
/**
 * Packet offsets are masked to this before pointer arithmetic: the verifier needs a bounded
 * variable offset, and offset + access size must stay within the kernel's MAX_PACKET_OFF
 * (0xffff). 16 KiB is more than an XDP frame (one page) can hold.
 */
const OFFSET_MASK = 0x3fff;
/**
 * core.p4's CRC hash algorithms, as bmv2 computes crc16 and crc32 (reflected; the
 * catalogue names are CRC-16/ARC and CRC-32/ISO-HDLC; check values over "123456789":
 * 0xbb3d and 0xcbf43926). poly is the reflected polynomial.
 */
const CRC_ALGORITHMS = {
  crc16: { width: 16, poly: 0xa001, init: 0, xorOut: 0 },
  crc32: { width: 32, poly: 0xedb88320, init: 0xffffffff, xorOut: 0xffffffff },
} as const;
const DEFAULT_TABLE_SIZE = 1024;

const maskOf = (w: number): bigint => (w >= 64 ? (1n << 64n) - 1n : (1n << BigInt(w)) - 1n);
const slotSize = (w: number): 1 | 2 | 4 | 8 => (w <= 8 ? 1 : w <= 16 ? 2 : w <= 32 ? 4 : 8);
const isNum = (t: P4Type): t is { t: "bit" | "int"; w: number } => t.t === "bit" || t.t === "int";

class Fn {
  readonly blocks: { name: string; insts: Inst[]; term?: Terminator }[] = [];
  cur: { name: string; insts: Inst[]; term?: Terminator };
  private next = 0;
  private labels = 0;
  readonly ctx: Arg;
  readonly fp: Arg;
  private stackTop = 0;

  constructor() {
    this.cur = { name: "entry", insts: [] };
    this.blocks.push(this.cur);
    this.ctx = val(this.next++);
    this.fp = this.emit("frame", [], "ptr.stack");
  }

  emit(op: string, args: Arg[], type: Type = "i64"): Arg {
    const id = this.next++;
    this.cur.insts.push({ result: id, type, op, args });
    return val(id);
  }
  effect(op: string, args: Arg[]): void {
    this.cur.insts.push({ op, args });
  }
  block(hint: string): string {
    return `${hint}${this.labels++}`;
  }
  start(name: string): void {
    this.cur = { name, insts: [] };
    this.blocks.push(this.cur);
  }
  terminate(t: Terminator): void {
    if (!this.cur.term) this.cur.term = t;
  }
  br(to: string): void {
    this.terminate({ op: "br", to: { block: to, args: [] } });
  }
  brIf(cond: Arg, then: string, els: string): void {
    this.terminate({ op: "br_if", cond, then: { block: then, args: [] }, else: { block: els, args: [] } });
  }
  /** A fresh stack slot (8-aligned for 8 bytes, else aligned to its size). */
  slot(size: 1 | 2 | 4 | 8): Slot {
    this.stackTop += size;
    this.stackTop = Math.ceil(this.stackTop / size) * size;
    return { off: -this.stackTop, size };
  }
  buffer(bytes: number): number {
    this.stackTop = Math.ceil((this.stackTop + bytes) / 8) * 8;
    return -this.stackTop;
  }
  load(s: Slot): Arg {
    return this.emit(`load.u${s.size * 8}`, [word("stack"), this.fp, imm(s.off)]);
  }
  store(s: Slot, v: Arg): void {
    this.effect(`store.u${s.size * 8}`, [word("stack"), this.fp, imm(s.off), v]);
  }
  bin(op: string, a: Arg, b: Arg): Arg {
    if (a.kind === "imm" && b.kind === "imm") {
      const f: Record<string, (x: bigint, y: bigint) => bigint> = { add: (x, y) => x + y, sub: (x, y) => x - y, and: (x, y) => x & y, or: (x, y) => x | y, xor: (x, y) => x ^ y, shl: (x, y) => x << y, lshr: (x, y) => x >> y, mul: (x, y) => x * y };
      if (f[op]) return imm(BigInt.asIntN(64, f[op]!(BigInt.asUintN(64, a.value), BigInt.asUintN(64, b.value))));
    }
    return this.emit(op, [a, b]);
  }
  cmp(cond: string, a: Arg, b: Arg): Arg {
    return this.emit(`icmp.${cond}`, [a, b], "i1");
  }
  /** An i1 as 0/1. */
  bool(c: Arg): Arg {
    return this.emit("select", [c, imm(1), imm(0)]);
  }
  mask(a: Arg, w: number): Arg {
    return w >= 64 ? a : this.bin("and", a, imm(BigInt.asIntN(64, maskOf(w))));
  }
  finish(): Block[] {
    return this.blocks.map((b) => ({ name: b.name, params: b.name === "entry" ? [{ id: 0, type: "ptr.ctx" as Type }] : [], insts: b.insts, term: b.term ?? { op: "ret", value: imm(XDP.DROP) } }));
  }
}

interface Scope {
  readonly names: Map<string, Loc>;
  readonly parent?: Scope;
}
const lookup = (s: Scope | undefined, n: string): Loc | undefined => (s ? (s.names.get(n) ?? lookup(s.parent, n)) : undefined);

interface ControlCtx {
  readonly name: string;
  readonly exit: string;
  /** Where `return` goes: the end of the action or of the apply block. */
  readonly ret: string;
}

export function lowerP4(program: Program, file: string): P4Module {
  return new Lowering(program, file).run();
}

class Lowering {
  private readonly env: TypeEnv = newTypeEnv();
  private readonly f = new Fn();
  private readonly maps: MapDef[] = [];
  private readonly tables: TableInfo[] = [];
  private data!: Arg;
  private end!: Arg;
  private pktOff!: Slot;
  private rejectBlock = "reject";
  /** While a statement writes: copy-backs of the run-time stack elements it wrote through (dynamicElem). */
  private writeBacks: (() => void)[] | undefined;
  /** Members of header unions: the other members of the same union. */
  private readonly unionSiblings = new Map<Loc, Loc[]>();

  /** A union member became valid: the others become invalid (§8.20). */
  private invalidateSiblings(h: Loc): void {
    for (const o of this.unionSiblings.get(h) ?? []) if (o.l === "struct" && o.valid) this.f.store(o.valid, imm(0));
  }

  constructor(private readonly program: Program, private readonly file: string) {}

  private unsupported(pos: Pos, what: string): never {
    throw new DiagnosticError([diag("p4-unsupported", { file: pos.file, line: pos.line, col: pos.col, length: pos.length }, [what])]);
  }
  private nameError(pos: Pos, msg: string): never {
    throw new DiagnosticError([diag("p4-name", { file: pos.file, line: pos.line, col: pos.col, length: pos.length }, [msg])]);
  }

  run(): P4Module {
    declareTypes(this.env, this.program.decls);
    const main = [...this.program.decls].reverse().find((d): d is Decl & { d: "instance" } => d.d === "instance" && d.name === "main");
    if (!main) throw new DiagnosticError([diag("p4-arch", { file: this.file, line: 1, col: 1 }, ["the program has no package instantiation named 'main' (e.g. `ebpfFilter(prs(), pipe()) main;`)"])]);
    if (main.type.kind !== "name") this.nameError(main.pos, "main must instantiate a package");
    const pkgName = main.type.kind === "name" ? main.type.name : "";
    const arch = ARCHITECTURES.find((a) => a.package === pkgName);
    if (!arch) this.nameError(main.pos, `package '${pkgName}' is not an architecture bpfoff knows (${ARCHITECTURES.map((a) => a.package).join(", ")})`);
    if (main.args.length !== arch.blocks.length) this.nameError(main.pos, `${pkgName} takes ${arch.blocks.length} blocks, not ${main.args.length}`);
    const blocks = main.args.map((a) => {
      const n = a.k === "call" && a.callee.k === "name" ? a.callee.name : a.k === "name" ? a.name : undefined;
      const d = n ? this.env.decls.get(n) : undefined;
      if (!d || (d.d !== "parser" && d.d !== "control") || d.prototype) this.nameError(a.pos, `expected a parser or control instantiation, e.g. ${n ?? "name"}()`);
      return d as Decl & { d: "parser" | "control" };
    });
    this.lowerPipeline(arch, blocks);
    if (this.env.diags.length) throw new DiagnosticError(this.env.diags);
    const module: Module = { type: "xdp", maps: this.maps, funcs: [{ name: "main", blocks: this.f.finish() }] };
    return { module, tables: this.tables, architecture: arch.package };
  }

  // ---- storage ----

  private alloc(t: P4Type, pos: Pos): Loc {
    switch (t.t) {
      case "bit":
      case "int":
        if (t.w > 64) return { l: "wide", slots: Array.from({ length: Math.ceil(t.w / 64) }, () => this.f.slot(8)), type: t };
        return { l: "scalar", slot: this.f.slot(slotSize(t.w)), type: t };
      case "bool":
      case "error":
      case "enum":
        return { l: "scalar", slot: this.f.slot(t.t === "bool" ? 1 : 4), type: t };
      case "header":
      case "struct":
      case "header_union": {
        const varbits = t.fields.flatMap((fl, i) => (fl.type.t === "varbit" ? [i] : []));
        if (t.t !== "header" && varbits.length) this.unsupported(pos, `a varbit field outside a header (${typeName(t)})`);
        if (varbits.length > 1) typeError(this.env, pos, `header ${typeName(t)} has ${varbits.length} varbit fields; a header has at most one (§7.2.2)`);
        else if (varbits.length && varbits[0] !== t.fields.length - 1) this.unsupported(pos, `a varbit field that is not the last field of its header (${typeName(t)})`);
        const fields = new Map(t.fields.map((fl) => [fl.name, this.alloc(fl.type, pos)]));
        if (t.t === "header_union") {
          // §8.20: making one member valid makes the others invalid; each member knows them.
          const members = [...fields.values()];
          for (const m of members) this.unionSiblings.set(m, members.filter((x) => x !== m));
        }
        return { l: "struct", type: t, fields, valid: t.t === "header" ? this.f.slot(1) : undefined };
      }
      case "stack":
        // nextIndex in 8 bytes: the verifier tracks only whole 8-byte spills of scalars, and a
        // parser loop over the stack is bounded only if it sees the index.
        return { l: "stack", type: t, elems: Array.from({ length: t.size }, () => this.alloc(t.elem, pos)), next: this.f.slot(8) };
      case "varbit": {
        const maxBytes = Math.ceil(t.w / 8);
        return { l: "varbit", buf: this.f.buffer(maxBytes), maxBytes, len: this.f.slot(4), type: t };
      }
      default:
        return this.unsupported(pos, `a variable of type ${typeName(t)}`);
    }
  }

  /** Initial values: headers invalid (§8.17), everything else zero (bpfoff's choice: the verifier wants initialised stack). */
  private initialise(loc: Loc): void {
    if (loc.l === "scalar") this.f.store(loc.slot, imm(0));
    else if (loc.l === "varbit") {
      this.f.store(loc.len, imm(0));
      // Whole: emit and copy read bytes past the length only on paths the verifier cannot rule out.
      for (let b = 0; b < loc.maxBytes; b += 8) this.f.effect("store.u64", [word("stack"), this.f.fp, imm(loc.buf + b), imm(0)]);
    }
    else if (loc.l === "wide") for (const x of loc.slots) this.f.store(x, imm(0));
    else if (loc.l === "struct") {
      if (loc.valid) this.f.store(loc.valid, imm(0));
      for (const x of loc.fields.values()) this.initialise(x);
    } else if (loc.l === "stack") {
      this.f.store(loc.next, imm(0));
      for (const x of loc.elems) this.initialise(x);
    }
  }

  private copy(to: Loc, from: Loc, pos: Pos): void {
    if (to.l === "varbit" && from.l === "varbit" && to.maxBytes === from.maxBytes) {
      this.f.store(to.len, this.f.load(from.len));
      for (let b = 0; b < to.maxBytes; b += 8) this.f.effect("store.u64", [word("stack"), this.f.fp, imm(to.buf + b), this.f.emit("load.u64", [word("stack"), this.f.fp, imm(from.buf + b)])]);
      return;
    }
    if (to.l === "scalar") return this.f.store(to.slot, this.read(from, pos));
    if (to.l === "wide" && from.l === "wide") return to.slots.forEach((x, i) => this.f.store(x, this.f.load(from.slots[i]!)));
    if (to.l === "struct" && from.l === "struct") {
      if (to.valid && from.valid) this.f.store(to.valid, this.f.load(from.valid));
      for (const [n, x] of to.fields) this.copy(x, from.fields.get(n)!, pos);
      return;
    }
    if (to.l === "stack" && from.l === "stack") {
      this.f.store(to.next, this.f.load(from.next));
      to.elems.forEach((x, i) => this.copy(x, from.elems[i]!, pos));
      return;
    }
    this.unsupported(pos, "this assignment");
  }

  private read(loc: Loc, pos: Pos): Arg {
    if (loc.l === "scalar") return this.f.load(loc.slot);
    if (loc.l === "value") return loc.arg;
    return this.unsupported(pos, "a compound value used as a scalar");
  }

  // ---- the pipeline ----

  private lowerPipeline(arch: Architecture, blocks: (Decl & { d: "parser" | "control" })[]): void {
    const f = this.f;
    this.data = f.emit("ctx.get", [f.ctx, word("data")], "ptr.packet");
    this.end = f.emit("ctx.get", [f.ctx, word("data_end")], "ptr.packet");
    // 8 bytes for the same reason as a stack's nextIndex: the verifier keeps its bounds.
    this.pktOff = f.slot(8);
    f.store(this.pktOff, imm(0));
    const [parser, control, deparser] = blocks;
    // Shared objects of the package's blocks, by role: headers, metadata, xdp input/output, accept.
    const hType = this.paramType(parser!, 1);
    const headers = this.alloc(hType, parser!.pos);
    this.initialise(headers);
    const meta = arch.metadata ? this.alloc(this.paramType(parser!, 2), parser!.pos) : undefined;
    if (meta) this.initialise(meta);
    let xin: Loc | undefined;
    let xout: Loc | undefined;
    let accept: Loc | undefined;
    if (arch.verdict === "xdp-output") {
      const inT = this.env.types.get("xdp_input")!;
      const outT = this.env.types.get("xdp_output")!;
      xin = this.alloc(inT, control!.pos);
      xout = this.alloc(outT, control!.pos);
      const port = (xin as Loc & { l: "struct" }).fields.get("input_port") as Loc & { l: "scalar" };
      f.store(port.slot, f.emit("ctx.get", [f.ctx, word("ingress_ifindex")]));
      const act = (xout as Loc & { l: "struct" }).fields.get("output_action") as Loc & { l: "scalar" };
      const oport = (xout as Loc & { l: "struct" }).fields.get("output_port") as Loc & { l: "scalar" };
      f.store(act.slot, imm(XDP.PASS));
      f.store(oport.slot, imm(0));
    } else {
      accept = { l: "scalar", slot: f.slot(1), type: BOOL };
      f.store(accept.slot, imm(0));
    }
    // Parser: params bound by position: packet, headers, [meta], [xdp_input].
    const pBind = [{ l: "packet", dir: "in" } as Loc, headers, ...(meta ? [meta] : []), ...(arch.metadata && xin ? [xin] : [])];
    const afterParse = f.block("parsed");
    this.rejectBlock = "reject";
    this.lowerParser(parser as Decl & { d: "parser" }, pBind, afterParse);
    f.start(afterParse);
    const cBind = arch.verdict === "accept-bool" ? [headers, accept!] : [headers, ...(meta ? [meta] : []), xin!, xout!];
    const afterControl = f.block("controlled");
    this.lowerControl(control as Decl & { d: "control" }, cBind, afterControl);
    f.start(afterControl);
    if (arch.verdict === "accept-bool") {
      const a = f.load((accept as Loc & { l: "scalar" }).slot);
      f.terminate({ op: "ret", value: f.emit("select", [f.cmp("ne", a, imm(0)), imm(XDP.PASS), imm(XDP.DROP)]) });
    } else {
      const out = xout as Loc & { l: "struct" };
      const act = f.load((out.fields.get("output_action") as Loc & { l: "scalar" }).slot);
      const drop = f.block("drop");
      const deparse = f.block("deparse");
      f.brIf(f.cmp("ule", act, imm(XDP.DROP)), drop, deparse);
      f.start(drop);
      f.terminate({ op: "ret", value: act });
      f.start(deparse);
      const afterDeparse = f.block("deparsed");
      const dBind = [headers, ...(meta ? [meta] : []), { l: "packet", dir: "out" } as Loc];
      // The deparser's first parameter order: (in H headers, [in M meta,] packet_out packet).
      const ordered = (deparser as Decl & { d: "control" }).params.map((p) => (p.type.kind === "name" && p.type.name === "packet_out" ? dBind[dBind.length - 1]! : dBind.shift()!));
      this.lowerControl(deparser as Decl & { d: "control" }, ordered, afterDeparse, true);
      f.start(afterDeparse);
      const act2 = f.load((out.fields.get("output_action") as Loc & { l: "scalar" }).slot);
      const redirect = f.block("redirect");
      const done = f.block("verdict");
      f.brIf(f.cmp("eq", act2, imm(XDP.REDIRECT)), redirect, done);
      f.start(redirect);
      const port = f.load((out.fields.get("output_port") as Loc & { l: "scalar" }).slot);
      f.terminate({ op: "ret", value: f.emit("call.helper", [imm(BPF_REDIRECT), port, imm(0)]) });
      f.start(done);
      f.terminate({ op: "ret", value: act2 });
    }
    f.start("reject");
    f.terminate({ op: "ret", value: imm(XDP.DROP) });
  }

  private paramType(d: Decl & { d: "parser" | "control" }, i: number): P4Type {
    const p = d.params[i];
    if (!p) this.nameError(d.pos, `${d.name} has too few parameters for its architecture`);
    return resolveType(this.env, p.type);
  }

  private bindParams(params: readonly Param[], locs: readonly Loc[], pos: Pos): Scope {
    if (params.length !== locs.length) this.nameError(pos, `expected ${locs.length} parameters as the architecture declares, found ${params.length}`);
    return { names: new Map(params.map((p, i) => [p.name, locs[i]!])) };
  }

  private declareLocals(locals: readonly LocalDecl[], scope: Scope, control: string): void {
    for (const l of locals) {
      switch (l.d) {
        case "const":
        case "var": {
          const t = resolveType(this.env, l.type);
          const loc = this.alloc(t, l.pos);
          this.initialise(loc);
          const init = l.d === "const" ? l.value : l.init;
          if (init) this.assign(loc, init, scope, undefined, l.pos);
          scope.names.set(l.name, loc);
          break;
        }
        case "action":
          scope.names.set(l.name, { l: "action", decl: l });
          break;
        case "table":
          scope.names.set(l.name, { l: "table", decl: l, control });
          break;
        case "instance":
          scope.names.set(l.name, this.instantiate(l, control, scope));
          break;
      }
    }
  }

  /** Extern instances become maps named <control>_<instance>. */
  private instantiate(l: LocalDecl & { d: "instance" }, control: string, scope: Scope): Loc {
    const t = resolveType(this.env, l.type);
    if (t.t !== "extern") this.unsupported(l.pos, `instantiating ${typeName(t)} inside a block`);
    const name = `${control}_${l.name}`;
    const arg = (i: number) => {
      const v = l.args[i] ? constValue(this.env, l.args[i]!) : undefined;
      if (v === undefined) this.nameError(l.pos, `argument ${i + 1} of ${t.name}(...) must be a compile-time constant`);
      return Number(v);
    };
    void scope;
    switch (t.name) {
      case "CounterArray": {
        const sparse = l.args[1]?.k === "bool" && l.args[1].value;
        this.maps.push({ name, kind: sparse ? "hash" : "array", keySize: 4, valueSize: 4, maxEntries: arg(0), flags: 0 });
        return { l: "extern", ext: t.name, map: name, type: t };
      }
      case "counter": {
        this.maps.push({ name, kind: "array", keySize: 4, valueSize: 8, maxEntries: arg(0), flags: 0 });
        const bytes = l.args[1]?.k === "member" && l.args[1].member === "bytes";
        return { l: "extern", ext: bytes ? "counter.bytes" : "counter", map: name, type: t };
      }
      case "register": {
        const elem = t.args[0] ?? { t: "bit", w: 32 };
        if (!isNum(elem) || elem.w > 64) this.unsupported(l.pos, `register<${typeName(elem)}>`);
        this.maps.push({ name, kind: "array", keySize: 4, valueSize: slotSize(elem.w), maxEntries: arg(0), flags: 0 });
        return { l: "extern", ext: t.name, map: name, type: { ...t, args: [elem] } };
      }
      case "value_set": {
        // Members as an exact-match table without actions: the keys are T's fields.
        const elem = t.args[0];
        const fields = elem && isNum(elem) ? [{ name: "field0", width: elem.w }] : elem?.t === "struct" ? elem.fields.map((x) => ({ name: x.name, width: isNum(x.type) ? x.type.w : 0 })) : [];
        if (!fields.length || fields.some((x) => x.width < 1 || x.width > 64)) this.unsupported(l.pos, `value_set<${elem ? typeName(elem) : "?"}> (bit<W> of at most 64 bits, or a struct of them, are)`);
        const info: TableInfo = { mapName: name, control, table: l.name, keys: fields.map((x) => ({ ...x, kind: "exact" })), actions: [], mapKind: "hash", size: arg(0), valueSet: true };
        this.maps.push({ name, kind: "hash", keySize: keyLayout(info).size, valueSize: valueLayout(info).size, maxEntries: arg(0), flags: 0 });
        this.tables.push(info);
        return { l: "extern", ext: t.name, map: name, type: t };
      }
      default:
        return this.unsupported(l.pos, `extern ${t.name} instances`);
    }
  }

  /** A select case naming a value set (§12.11): one table.apply over every select key; a member when it finds an entry. */
  private valueSetCase(keys: { arg: Arg; type: P4Type }[], c: { readonly keys: readonly Keyset[]; readonly pos: Pos }, scope: Scope): Arg | undefined {
    const ks = c.keys[0];
    if (c.keys.length !== 1 || ks?.k !== "value" || ks.mask || ks.high || ks.value.k !== "name") return undefined;
    const l = lookup(scope, ks.value.name);
    if (l?.l !== "extern" || l.ext !== "value_set") return undefined;
    const info = this.tables.find((t) => t.mapName === l.map)!;
    if (info.keys.length !== keys.length || info.keys.some((k, i) => !isNum(keys[i]!.type) || (keys[i]!.type as { w: number }).w !== k.width)) {
      typeError(this.env, ks.pos, `value set ${ks.value.name} holds (${info.keys.map((k) => `bit<${k.width}>`).join(", ")}), but select has (${keys.map((k) => typeName(k.type)).join(", ")})`);
      return imm(0);
    }
    const p = this.f.emit("table.apply", [sym(info.mapName), ...keys.flatMap((k, i) => [word("exact"), imm(info.keys[i]!.width), k.arg])], "ptr.map_value");
    return this.f.cmp("ne", p, imm(0));
  }

  // ---- parser (§12) ----

  private lowerParser(p: Decl & { d: "parser" }, locs: Loc[], accept: string): void {
    const f = this.f;
    const scope = this.bindParams(p.params, locs, p.pos);
    this.declareLocals(p.locals, scope, p.name);
    const states = new Map(p.states.map((s) => [s.name, f.block(`state_${s.name}_`)]));
    const target = (n: string, pos: Pos) => (n === "accept" ? accept : n === "reject" ? this.rejectBlock : (states.get(n) ?? this.nameError(pos, `no parser state named '${n}'`)));
    if (!states.has("start")) this.nameError(p.pos, `parser ${p.name} has no start state (§12.4)`);
    f.br(states.get("start")!);
    const ctx: ControlCtx = { name: p.name, exit: this.rejectBlock, ret: accept };
    for (const s of p.states) {
      f.start(states.get(s.name)!);
      const inner: Scope = { names: new Map(), parent: scope };
      for (const st of s.body) this.stmt(st, inner, ctx);
      const t = s.transition;
      if ("next" in t) {
        f.br(target(t.next, t.pos));
        continue;
      }
      // §12.6: select compares the keys with each case in order; no match is error.NoMatch (reject).
      const keys = t.select.map((e) => this.expr(e, inner, ctx));
      for (const c of t.cases) {
        const member = this.valueSetCase(keys, c, inner);
        if (!member && c.keys.length !== keys.length && !(c.keys.length === 1 && c.keys[0]!.k === "default")) typeError(this.env, c.pos, `this case has ${c.keys.length} keysets, but select has ${keys.length} expressions`);
        const cond = member ?? this.keysetMatch(keys, c.keys, inner);
        const next = f.block("select");
        if (cond === undefined) {
          f.br(target(c.next, c.pos));
          break;
        }
        f.brIf(cond, target(c.next, c.pos), next);
        f.start(next);
      }
      f.br(this.rejectBlock);
    }
  }

  /** The i1 that holds when every key matches its keyset; undefined when always. */
  private keysetMatch(keys: { arg: Arg; type: P4Type }[], sets: readonly Keyset[], scope: Scope): Arg | undefined {
    const f = this.f;
    let all: Arg | undefined;
    sets.forEach((ks, i) => {
      const key = keys[i];
      if (ks.k === "default" || !key) return;
      const w = widthOf(key.type);
      const v = this.exprAs(ks.value, key.type, scope);
      let c: Arg;
      if (ks.mask) {
        const m = this.exprAs(ks.mask, key.type, scope);
        c = f.cmp("eq", f.bin("and", key.arg, m), f.mask(f.bin("and", v, m), w));
      } else if (ks.high) {
        const hi = this.exprAs(ks.high, key.type, scope);
        c = f.cmp("ne", f.bin("and", f.bool(f.cmp("uge", key.arg, v)), f.bool(f.cmp("ule", key.arg, hi))), imm(0));
      } else c = f.cmp("eq", key.arg, v);
      all = all ? f.cmp("ne", f.bin("and", f.bool(all), f.bool(c)), imm(0)) : c;
    });
    return all;
  }

  /**
   * §12.8.1 extract: bounds check, fields MSB first, valid bit set, offset advanced. With a
   * varbit field (§12.8.2, the two-argument extract), `varbitBits` more bits follow the
   * fixed ones: more than the field's W, or not whole bytes, rejects; each byte is copied
   * behind its own bounds check.
   */
  private extract(hdr: Loc, pos: Pos, varbitBits?: Arg): void {
    const f = this.f;
    if (hdr.l !== "struct" || hdr.type.t !== "header") return this.unsupported(pos, "extracting into something other than a header");
    const vb = varbitOf(hdr);
    if (vb && !varbitBits) return void typeError(this.env, pos, `header ${typeName(hdr.type)} has a varbit field: extract it with a size in bits, extract(hdr, bits) (§12.8.2)`);
    if (!vb && varbitBits) return void typeError(this.env, pos, `header ${typeName(hdr.type)} has no varbit field: extract(hdr) takes no size (§12.8.2)`);
    const bits = fixedBits(hdr.type);
    if (bits % 8) typeError(this.env, pos, `header ${typeName(hdr.type)} is ${bits} bits${vb ? " besides its varbit field" : ""}, not a whole number of bytes`);
    const size = bits >> 3;
    const off = f.bin("and", f.load(this.pktOff), imm(OFFSET_MASK));
    const p = f.emit("ptradd", [this.data, off], "ptr.packet");
    const ok = f.block("extract");
    f.brIf(f.emit("packet.check", [p, this.end, imm(size)], "i1"), ok, this.rejectBlock);
    f.start(ok);
    for (const piece of this.pieces(hdr)) f.store(piece.slot, this.readBits(p, piece.at, piece.w, pos));
    let total: Arg = imm(size);
    if (vb && varbitBits) {
      const lenBits = f.mask(varbitBits, 32);
      const fits = f.block("varbitfits");
      const whole = f.block("varbitwhole");
      f.brIf(f.cmp("ule", lenBits, imm((vb.type as { w: number }).w)), fits, this.rejectBlock);
      f.start(fits);
      f.brIf(f.cmp("eq", f.mask(lenBits, 3), imm(0)), whole, this.rejectBlock);
      f.start(whole);
      const n = f.bin("lshr", lenBits, imm(3));
      const done = f.block("varbitread");
      for (let k = 0; k < vb.maxBytes; k++) {
        const more = f.block("varbitbyte");
        f.brIf(f.cmp("ult", imm(k), n), more, done);
        f.start(more);
        const inPacket = f.block("varbitin");
        f.brIf(f.emit("packet.check", [p, this.end, imm(size + k + 1)], "i1"), inPacket, this.rejectBlock);
        f.start(inPacket);
        f.effect("store.u8", [word("stack"), f.fp, imm(vb.buf + k), f.emit("load.u8", [word("packet"), p, imm(size + k)])]);
      }
      f.br(done);
      f.start(done);
      f.store(vb.len, lenBits);
      total = f.bin("add", imm(size), n);
    }
    f.store(hdr.valid!, imm(1));
    this.invalidateSiblings(hdr);
    f.store(this.pktOff, f.bin("add", off, total));
  }

  /** W bits at bit offset `at` of the packet from p, most significant first. */
  private readBits(p: Arg, at: number, w: number, pos: Pos): Arg {
    const f = this.f;
    const first = at >> 3;
    const last = (at + w - 1) >> 3;
    const n = last - first + 1;
    if (at % 8 === 0 && (w === 8 || w === 16 || w === 32 || w === 64)) {
      const v = f.emit(`load.u${w}`, [word("packet"), p, imm(first)]);
      return w === 8 ? v : f.emit(`be${w}`, [v]);
    }
    if (n > 8) this.unsupported(pos, "a field that spans more than 8 bytes at an unaligned offset");
    let acc: Arg = imm(0);
    for (let i = 0; i < n; i++) acc = f.bin("or", f.bin("shl", acc, imm(8)), f.emit("load.u8", [word("packet"), p, imm(first + i)]));
    const shift = n * 8 - (at % 8) - w;
    return f.mask(shift ? f.bin("lshr", acc, imm(shift)) : acc, w);
  }

  // ---- controls (§13) ----

  private lowerControl(c: Decl & { d: "control" }, locs: Loc[], after: string, deparser = false): void {
    const f = this.f;
    const scope = this.bindParams(c.params, locs, c.pos);
    this.declareLocals(c.locals, scope, c.name);
    const ctx: ControlCtx = { name: c.name, exit: after, ret: after };
    if (deparser) this.deparse(c, scope, ctx, after);
    else if (c.body) this.stmt(c.body, scope, ctx);
    f.br(after);
  }

  /**
   * §15 deparser: the emitted headers replace the parsed ones. Emission is first collected
   * (which headers, in order) by running the apply block with `emit` recording, then the
   * packet start moves by (parsed - emitted) bytes and the headers are written.
   */
  private deparse(c: Decl & { d: "control" }, scope: Scope, ctx: ControlCtx, after: string): void {
    const f = this.f;
    const emitted: (Loc & { l: "struct" })[] = [];
    this.emitList = emitted;
    if (c.body) this.stmt(c.body, scope, { ...ctx });
    this.emitList = undefined;
    // Emitted length: the sum of the valid emitted headers' sizes.
    let len: Arg = imm(0);
    for (const h of emitted) {
      const vb = varbitOf(h);
      const bytes = vb ? f.bin("add", imm(fixedBits(h.type) >> 3), f.bin("lshr", f.load(vb.len), imm(3))) : imm(fixedBits(h.type) >> 3);
      len = f.bin("add", len, f.bin("mul", f.load(h.valid!), bytes));
    }
    const lenSlot = f.slot(4);
    f.store(lenSlot, len);
    const delta = f.bin("sub", f.load(this.pktOff), f.load(lenSlot));
    const adjusted = f.block("adjusted");
    f.brIf(f.cmp("eq", f.emit("call.helper", [imm(XDP_ADJUST_HEAD), f.ctx, delta]), imm(0)), adjusted, "reject");
    f.start(adjusted);
    // bpf_xdp_adjust_head invalidates packet pointers: read them again.
    const data = f.emit("ctx.get", [f.ctx, word("data")], "ptr.packet");
    const end = f.emit("ctx.get", [f.ctx, word("data_end")], "ptr.packet");
    const out = f.slot(4);
    f.store(out, imm(0));
    for (const h of emitted) {
      const yes = f.block("emit");
      const no = f.block("emitted");
      f.brIf(f.cmp("ne", f.load(h.valid!), imm(0)), yes, no);
      f.start(yes);
      const size = fixedBits(h.type) >> 3;
      const off = f.bin("and", f.load(out), imm(OFFSET_MASK));
      const p = f.emit("ptradd", [data, off], "ptr.packet");
      const ok = f.block("write");
      f.brIf(f.emit("packet.check", [p, end, imm(size)], "i1"), ok, "reject");
      f.start(ok);
      this.writeHeader(p, h);
      let written: Arg = imm(size);
      const vb = varbitOf(h);
      if (vb) {
        // The varbit's bytes after the fixed fields, as many as its length says.
        const n = f.bin("lshr", f.load(vb.len), imm(3));
        const done = f.block("varbitwritten");
        for (let k = 0; k < vb.maxBytes; k++) {
          const more = f.block("varbitbyte");
          f.brIf(f.cmp("ult", imm(k), n), more, done);
          f.start(more);
          const inPacket = f.block("varbitout");
          f.brIf(f.emit("packet.check", [p, end, imm(size + k + 1)], "i1"), inPacket, "reject");
          f.start(inPacket);
          f.effect("store.u8", [word("packet"), p, imm(size + k), f.emit("load.u8", [word("stack"), f.fp, imm(vb.buf + k)])]);
        }
        f.br(done);
        f.start(done);
        written = f.bin("add", imm(size), n);
      }
      f.store(out, f.bin("add", off, written));
      f.br(no);
      f.start(no);
    }
    f.br(after);
  }

  private emitList: (Loc & { l: "struct" })[] | undefined;

  /**
   * A header's storage as pieces of at most 64 bits: each field's slot with its bit offset
   * in the header (MSB first), a wide field's chunks with theirs.
   */
  private pieces(h: Loc & { l: "struct" }): { slot: Slot; w: number; at: number }[] {
    const out: { slot: Slot; w: number; at: number }[] = [];
    let at = 0;
    for (const fl of (h.type as P4Type & { t: "header" }).fields) {
      const w = widthOf(fl.type);
      const loc = h.fields.get(fl.name)!;
      if (loc.l === "varbit") continue;
      if (loc.l === "wide") {
        const n = loc.slots.length;
        loc.slots.forEach((slot, i) => {
          const wi = i === n - 1 ? w - 64 * (n - 1) : 64;
          out.push({ slot, w: wi, at: at + w - 64 * i - wi });
        });
      } else out.push({ slot: (loc as Loc & { l: "scalar" }).slot, w, at });
      at += w;
    }
    return out;
  }

  /** Writes a header's fields MSB first: aligned whole fields directly, the rest byte by byte. */
  private writeHeader(p: Arg, h: Loc & { l: "struct" }): void {
    const f = this.f;
    const fields = this.pieces(h).map((x) => ({ loc: { slot: x.slot }, w: x.w, at: x.at }));
    const bytes = fixedBits(h.type) >> 3;
    const done = new Set<number>();
    for (const fl of fields) {
      if (fl.at % 8 === 0 && [8, 16, 32, 64].includes(fl.w)) {
        const v = f.load(fl.loc.slot);
        f.effect(`store.u${fl.w}`, [word("packet"), p, imm(fl.at >> 3), fl.w === 8 ? v : f.emit(`be${fl.w}`, [v])]);
        for (let b = 0; b < fl.w / 8; b++) done.add((fl.at >> 3) + b);
      }
    }
    for (let b = 0; b < bytes; b++) {
      if (done.has(b)) continue;
      let byte: Arg = imm(0);
      for (const fl of fields) {
        const lo = Math.max(fl.at, b * 8);
        const hi = Math.min(fl.at + fl.w, b * 8 + 8);
        if (lo >= hi) continue;
        const v = f.load(fl.loc.slot);
        const right = fl.at + fl.w - (b * 8 + 8);
        const piece = right >= 0 ? f.bin("lshr", v, imm(right)) : f.bin("shl", v, imm(-right));
        let m = 0;
        for (let bit = lo; bit < hi; bit++) m |= 0x80 >> (bit - b * 8);
        byte = f.bin("or", byte, f.bin("and", piece, imm(m)));
      }
      f.effect("store.u8", [word("packet"), p, imm(b), byte]);
    }
  }

  // ---- statements (§12, §13) ----

  private stmt(s: Stmt, scope: Scope, ctx: ControlCtx): void {
    const f = this.f;
    switch (s.s) {
      case "empty":
        return;
      case "block": {
        const inner: Scope = { names: new Map(), parent: scope };
        for (const x of s.body) {
          this.stmt(x, inner, ctx);
          if (f.cur.term) f.start(f.block("dead"));
        }
        return;
      }
      case "var": {
        const t = resolveType(this.env, s.type);
        const loc = this.alloc(t, s.pos);
        this.initialise(loc);
        if (s.init) this.assign(loc, s.init, scope, ctx, s.pos);
        scope.names.set(s.name, loc);
        return;
      }
      case "assign": {
        const [target, writeBack] = this.writeTarget(() => this.lvalue(s.target, scope, ctx));
        this.assign(target, s.value, scope, ctx, s.pos);
        return writeBack();
      }
      case "call":
        // §12: an expression statement is a method or function call.
        if (s.call.k !== "call") return typeError(this.env, s.pos, "an expression statement must be a call (or an assignment with =)");
        this.call(s.call, scope, ctx);
        return;
      case "if": {
        const c = this.cond(s.cond, scope, ctx);
        const then = f.block("then");
        const els = f.block("else");
        const join = f.block("endif");
        f.brIf(c, then, s.else ? els : join);
        f.start(then);
        this.stmt(s.then, scope, ctx);
        f.br(join);
        if (s.else) {
          f.start(els);
          this.stmt(s.else, scope, ctx);
          f.br(join);
        }
        f.start(join);
        return;
      }
      case "exit":
        return f.br(ctx.exit);
      case "return":
        return f.br(ctx.ret);
      case "switch":
        return this.switchStmt(s, scope, ctx);
    }
  }

  /** §12.7 switch: on table.apply().action_run (action names) or on a bit<W>/enum value. */
  private switchStmt(s: Stmt & { s: "switch" }, scope: Scope, ctx: ControlCtx): void {
    const f = this.f;
    let value: Arg;
    let actions: readonly ActionRef[] | undefined;
    const v = s.value;
    if (v.k === "member" && v.member === "action_run" && v.base.k === "call") {
      const r = this.tableApply(v.base, scope, ctx);
      value = r.actionRun;
      actions = r.actions;
    } else value = this.expr(v, scope).arg;
    const join = f.block("endswitch");
    const bodies = s.cases.map(() => f.block("case"));
    s.cases.forEach((c, i) => {
      // A case without a body shares the next case's body (§12.7).
      const bodyIdx = s.cases.findIndex((x, j) => j >= i && x.body);
      const to = bodyIdx >= 0 ? bodies[bodyIdx]! : join;
      if (!c.label) return f.br(to);
      let idx: Arg;
      if (actions) {
        const n = c.label.k === "name" ? c.label.name : "";
        const k = actions.findIndex((a) => a.name === n);
        if (k < 0) typeError(this.env, c.pos, `'${n}' is not an action of this table`);
        idx = imm(k);
      } else idx = this.expr(c.label, scope).arg;
      const next = f.block("switchnext");
      f.brIf(f.cmp("eq", value, idx), to, next);
      f.start(next);
    });
    f.br(join);
    s.cases.forEach((c, i) => {
      f.start(bodies[i]!);
      if (c.body) this.stmt(c.body, scope, ctx);
      f.br(join);
    });
    f.start(join);
  }

  private assign(target: Loc, e: Expr, scope: Scope, ctx: ControlCtx | undefined, pos: Pos): void {
    const tt = this.locType(target);
    if (target.l === "wide") {
      const chunks = this.wideOperand(e, scope, ctx, target.slots.length);
      if (!chunks) return typeError(this.env, e.pos, `a ${typeName(tt)} value can be assigned from a constant or from a ${typeName(tt)} field or variable only`);
      target.slots.forEach((x, i) => this.f.store(x, chunks[i]!));
      return;
    }
    if (target.l === "scalar") {
      const v = this.expr(e, scope, ctx, tt);
      if (!assignable(v.type, tt)) typeError(this.env, e.pos, `cannot assign a value of type ${typeName(v.type)} to ${typeName(tt)} (P4-16 §8.11.2: no implicit cast; write (${typeName(tt)})...)`);
      this.f.store(target.slot, this.f.mask(v.arg, Math.min(64, widthOf(tt) || 64)));
      return;
    }
    if (e.k === "list" && target.l === "struct") {
      const fields = [...target.fields.values()];
      if (fields.length !== e.elems.length) typeError(this.env, e.pos, `${typeName(tt)} has ${fields.length} fields, the list ${e.elems.length}`);
      fields.forEach((x, i) => e.elems[i] && this.assign(x, e.elems[i]!, scope, ctx, pos));
      if (target.valid) this.f.store(target.valid, imm(1));
      return;
    }
    const src = this.lvalue(e, scope, ctx);
    if (!sameType(this.locType(src), tt)) typeError(this.env, e.pos, `cannot assign ${typeName(this.locType(src))} to ${typeName(tt)}`);
    this.copy(target, src, pos);
  }

  private locType(l: Loc): P4Type {
    return "type" in l ? l.type : VOID;
  }

  // ---- expressions ----

  /** A name or member path to its storage. */
  private lvalue(e: Expr, scope: Scope, ctx?: ControlCtx): Loc {
    const f = this.f;
    switch (e.k) {
      case "name": {
        const l = lookup(scope, e.name);
        if (l) return l;
        const t = this.env.types.get(e.name);
        if (t) return { l: "typeRef", type: t };
        if (e.name === "error") return { l: "typeRef", type: { t: "error" } };
        const c = this.env.constants.get(e.name);
        if (c) return { l: "value", arg: imm(c.value), type: c.type };
        const d = this.env.decls.get(e.name);
        if (d?.d === "action") return { l: "action", decl: d };
        return this.nameError(e.pos, `'${e.name}' is not declared`);
      }
      case "member": {
        const base = this.lvalue(e.base, scope, ctx);
        if (base.l === "typeRef") {
          const t = base.type;
          if (t.t === "error") {
            const i = this.env.errors.indexOf(e.member);
            if (i < 0) this.nameError(e.pos, `error.${e.member} is not declared`);
            return { l: "value", arg: imm(i), type: t };
          }
          if (t.t === "enum") {
            const i = t.members.indexOf(e.member);
            if (i < 0) this.nameError(e.pos, `${t.name} has no member '${e.member}'`);
            return { l: "value", arg: imm(t.values[i]!), type: t };
          }
        }
        if (base.l === "struct") {
          const x = base.fields.get(e.member);
          if (!x) return this.nameError(e.pos, `${typeName(base.type)} has no field '${e.member}'`);
          return x;
        }
        if (base.l === "stack") {
          const idx = f.load(base.next);
          if (e.member === "next") return this.stackElem(base, idx, e.pos, true);
          if (e.member === "last") return this.stackElem(base, f.bin("sub", idx, imm(1)), e.pos, false);
          if (e.member === "lastIndex") return { l: "value", arg: f.mask(f.bin("sub", idx, imm(1)), 32), type: { t: "bit", w: 32 } };
          if (e.member === "size") return { l: "value", arg: imm(base.type.size), type: { t: "bit", w: 32 } };
          if (e.member === "nextIndex") return { l: "value", arg: idx, type: { t: "bit", w: 32 } };
        }
        return this.nameError(e.pos, `no member '${e.member}' here`);
      }
      case "index": {
        const base = this.lvalue(e.base, scope, ctx);
        if (base.l !== "stack") return this.nameError(e.pos, "only header stacks can be indexed");
        if (e.index.k === "bool") typeError(this.env, e.index.pos, "a header stack index must be bit<W>, int<W> or an integer, not bool");
        const k = constValue(this.env, e.index);
        if (k === undefined) return this.dynamicElem(base, e.index, scope, ctx);
        if (k < 0n || k >= BigInt(base.elems.length)) typeError(this.env, e.index.pos, `index ${k} is outside the stack of ${base.elems.length} (§8.18)`);
        return base.elems[Number(k)] ?? base.elems[0]!;
      }
      default: {
        const v = this.expr(e, scope, ctx);
        return { l: "value", arg: v.arg, type: v.type };
      }
    }
  }

  /**
   * hs[i] with a run-time index (§8.18): a staging copy of element i, picked by a chain of
   * compares. Out of range, a parser rejects (error.StackOutOfBounds, as for .next); a
   * control reads an invalid header of zeros and its writes go nowhere (the spec leaves
   * both undefined). When the element is being written (an assignment's target, a
   * setValid/setInvalid), the statement copies the staging header back into element i.
   */
  private dynamicElem(st: Loc & { l: "stack" }, index: Expr, scope: Scope, ctx?: ControlCtx): Loc {
    const f = this.f;
    const i = this.expr(index, scope, ctx);
    if (!isNum(i.type) && i.type.t !== "infint") typeError(this.env, index.pos, `a header stack index must be bit<W> or int<W>, not ${typeName(i.type)}`);
    const idx = isNum(i.type) ? f.mask(i.arg, i.type.w) : i.arg;
    if (ctx && ctx.exit === this.rejectBlock) {
      const ok = f.block("inbounds");
      f.brIf(f.cmp("ult", idx, imm(st.elems.length)), ok, this.rejectBlock);
      f.start(ok);
    }
    const staging = this.alloc(st.type.elem, index.pos);
    this.initialise(staging);
    const each = (body: (el: Loc) => void) => {
      const join = f.block("picked");
      st.elems.forEach((el, k) => {
        const yes = f.block("pick");
        const no = f.block("notpick");
        f.brIf(f.cmp("eq", idx, imm(k)), yes, no);
        f.start(yes);
        body(el);
        f.br(join);
        f.start(no);
      });
      f.br(join);
      f.start(join);
    };
    each((el) => this.copy(staging, el, index.pos));
    this.writeBacks?.push(() => each((el) => this.copy(el, staging, index.pos)));
    return staging;
  }

  /**
   * The target of a write, which may be a run-time stack element: the location, and what
   * copies it back once written. Only the target's own evaluation collects copy-backs, so a
   * run-time element the written value reads is not copied back over the write.
   */
  private writeTarget(target: () => Loc): [Loc, () => void] {
    const outer = this.writeBacks;
    const pending: (() => void)[] = [];
    this.writeBacks = pending;
    let loc: Loc;
    try {
      loc = target();
    } finally {
      this.writeBacks = outer;
    }
    return [loc, () => pending.reverse().forEach((w) => w())];
  }

  /** §8.18 push_front(n) / pop_front(n): elements move by n, the freed ones become invalid, nextIndex moves with them (saturating). */
  private shiftStack(st: Loc & { l: "stack" }, m: "push_front" | "pop_front", e: Expr & { k: "call" }, pos: Pos): void {
    const f = this.f;
    const count = e.args.length === 1 ? constValue(this.env, e.args[0]!) : undefined;
    if (count === undefined || count < 0n) return void typeError(this.env, e.pos, `${m} takes one compile-time constant count (§8.18)`);
    const n = Number(count);
    const size = st.elems.length;
    if (m === "push_front") {
      for (let i = size - 1; i >= n; i--) this.copy(st.elems[i]!, st.elems[i - n]!, pos);
      for (let i = 0; i < Math.min(n, size); i++) this.invalidate(st.elems[i]!);
      const moved = f.bin("add", f.load(st.next), imm(n));
      f.store(st.next, f.emit("select", [f.cmp("ugt", moved, imm(size)), imm(size), moved]));
    } else {
      for (let i = 0; i + n < size; i++) this.copy(st.elems[i]!, st.elems[i + n]!, pos);
      for (let i = Math.max(0, size - n); i < size; i++) this.invalidate(st.elems[i]!);
      const next = f.load(st.next);
      f.store(st.next, f.emit("select", [f.cmp("uge", next, imm(n)), f.bin("sub", next, imm(n)), imm(0)]));
    }
  }

  /** A header (or every member of a union) made invalid. */
  private invalidate(loc: Loc): void {
    if (loc.l !== "struct") return;
    if (loc.valid) this.f.store(loc.valid, imm(0));
    else for (const x of loc.fields.values()) this.invalidate(x);
  }

  /**
   * stack.next / stack.last with a run-time index: the element is chosen by a chain of
   * compares into a staging header, copied back after use by `extract` (only extract
   * writes through .next). Out of range is error.StackOutOfBounds: reject (§12.8.1).
   */
  private stackElem(st: Loc & { l: "stack" }, idx: Arg, pos: Pos, advance: boolean): Loc {
    const f = this.f;
    const ok = f.block("inbounds");
    f.brIf(f.cmp("ult", idx, imm(st.elems.length)), ok, this.rejectBlock);
    f.start(ok);
    if (advance) return { l: "struct", type: st.type.elem, fields: new Map(), valid: undefined, ...({ stack: st, idx } as object) } as Loc;
    // .last for reading: a copy of element idx in a staging header.
    const staging = this.alloc(st.type.elem, pos);
    const join = f.block("picked");
    st.elems.forEach((el, i) => {
      const yes = f.block("pick");
      const no = f.block("notpick");
      f.brIf(f.cmp("eq", idx, imm(i)), yes, no);
      f.start(yes);
      this.copy(staging, el, pos);
      f.br(join);
      f.start(no);
    });
    f.br(join);
    f.start(join);
    return staging;
  }

  private cond(e: Expr, scope: Scope, ctx?: ControlCtx): Arg {
    const v = this.expr(e, scope, ctx, BOOL);
    if (v.type.t !== "bool") typeError(this.env, e.pos, `a condition must be bool, not ${typeName(v.type)} (P4-16 §12.5: no implicit conversion to bool)`);
    return this.f.cmp("ne", v.arg, imm(0));
  }

  /** An expression of a given type: infint literals take it, anything else must have it. */
  private exprAs(e: Expr, t: P4Type, scope: Scope): Arg {
    const v = this.expr(e, scope, undefined, t);
    if (!assignable(v.type, t)) typeError(this.env, e.pos, `expected ${typeName(t)}, found ${typeName(v.type)}`);
    return this.f.mask(v.arg, widthOf(t) || 64);
  }

  private expr(e: Expr, scope: Scope, ctx?: ControlCtx, want?: P4Type): { arg: Arg; type: P4Type } {
    const f = this.f;
    switch (e.k) {
      case "int":
        if (e.width !== undefined) {
          const t: P4Type = { t: e.signed ? "int" : "bit", w: e.width };
          if (e.value >= 1n << BigInt(e.width)) typeError(this.env, e.pos, `${e.value} does not fit in ${typeName(t)}`);
          return { arg: imm(BigInt.asIntN(64, e.value & maskOf(e.width))), type: t };
        }
        if (want && isNum(want)) return { arg: imm(BigInt.asIntN(64, e.value & maskOf(want.w))), type: INFINT };
        return { arg: imm(BigInt.asIntN(64, e.value)), type: INFINT };
      case "bool":
        return { arg: imm(e.value ? 1 : 0), type: BOOL };
      case "name":
      case "member":
      case "index": {
        if (e.k === "member" && (e.member === "hit" || e.member === "miss") && e.base.k === "call") {
          const r = this.tableApply(e.base, scope, ctx);
          return { arg: e.member === "hit" ? r.hit : f.bin("xor", r.hit, imm(1)), type: BOOL };
        }
        const l = this.lvalue(e, scope, ctx);
        if (l.l === "scalar") return { arg: f.load(l.slot), type: l.type };
        if (l.l === "wide") return this.unsupported(e.pos, `a ${typeName(l.type)} value in an expression other than ==, != and assignment`);
        if (l.l === "value") return { arg: l.arg, type: l.type };
        return this.nameError(e.pos, `${e.k === "name" ? e.name : "this"} is not a value`);
      }
      case "slice": {
        const b = this.expr(e.base, scope, ctx);
        const hi = constValue(this.env, e.hi);
        const lo = constValue(this.env, e.lo);
        if (!isNum(b.type) || hi === undefined || lo === undefined || hi < lo || hi >= BigInt(b.type.w)) {
          typeError(this.env, e.pos, `a slice [hi:lo] needs constants with ${isNum(b.type) ? b.type.w : "W"} > hi >= lo >= 0 on bit<W> or int<W> (§8.6)`);
          return { arg: imm(0), type: { t: "bit", w: 1 } };
        }
        const w = Number(hi - lo) + 1;
        return { arg: f.mask(f.bin("lshr", b.arg, imm(lo)), w), type: { t: "bit", w } };
      }
      case "call":
        return this.call(e, scope, ctx);
      case "cast": {
        const to = resolveType(this.env, e.type);
        const v = this.expr(e.operand, scope, ctx, to);
        if (!castAllowed(v.type, to)) typeError(this.env, e.pos, `cannot cast ${typeName(v.type)} to ${typeName(to)} (§8.11.1)`);
        if (to.t === "bool") return { arg: f.bool(f.cmp("ne", v.arg, imm(0))), type: to };
        // int<W> -> wider: sign extension (§8.11.1: int<W> to int<W'> keeps the value).
        if (v.type.t === "int" && isNum(to) && to.w > v.type.w) return { arg: f.mask(this.sext(v.arg, v.type.w), to.w), type: to };
        return { arg: f.mask(v.arg, widthOf(to) || 64), type: to };
      }
      case "unary": {
        if (e.op === "!") {
          const v = this.expr(e.operand, scope, ctx, BOOL);
          if (v.type.t !== "bool") typeError(this.env, e.pos, `! needs bool, not ${typeName(v.type)}`);
          return { arg: f.bin("xor", v.arg, imm(1)), type: BOOL };
        }
        const v = this.expr(e.operand, scope, ctx, want);
        if (!isNum(v.type) && v.type.t !== "infint") typeError(this.env, e.pos, `${e.op} needs bit<W> or int<W>, not ${typeName(v.type)}`);
        const w = isNum(v.type) ? v.type.w : 64;
        if (e.op === "~") return { arg: f.mask(f.bin("xor", v.arg, imm(-1)), w), type: v.type };
        if (e.op === "-") return { arg: f.mask(f.bin("sub", imm(0), v.arg), w), type: v.type };
        return v;
      }
      case "binary":
        return this.binary(e, scope, ctx, want);
      case "cond": {
        // §8.4.1: only the chosen operand is evaluated.
        const c = this.cond(e.cond, scope, ctx);
        const r = f.slot(8);
        const yes = f.block("condthen");
        const no = f.block("condelse");
        const join = f.block("condjoin");
        f.brIf(c, yes, no);
        f.start(yes);
        const a = this.expr(e.then, scope, ctx, want);
        f.store(r, a.arg);
        f.br(join);
        f.start(no);
        const b = this.expr(e.else, scope, ctx, want);
        f.store(r, b.arg);
        f.br(join);
        f.start(join);
        const t = unify(this.env, e.pos, "?:", a.type, b.type);
        return { arg: f.load(r), type: t };
      }
      case "list":
        return this.unsupported(e.pos, "a list expression here");
      case "string":
        return { arg: imm(0), type: { t: "string" } };
      case "dontcare":
        return { arg: imm(0), type: { t: "dontcare" } };
    }
  }

  /** The width of a storage expression wider than 64 bits, else undefined. */
  private wideWidth(e: Expr, scope: Scope): number | undefined {
    if (e.k !== "name" && e.k !== "member" && e.k !== "index") return undefined;
    try {
      const l = this.lvalue(e, scope);
      return l.l === "wide" ? widthOf(l.type) : undefined;
    } catch {
      return undefined;
    }
  }

  /** A wide value as n 64-bit chunks (least significant first): a wide lvalue or a constant. */
  private wideOperand(e: Expr, scope: Scope, ctx: ControlCtx | undefined, n: number): Arg[] | undefined {
    const c = e.k === "int" ? e.value : undefined;
    if (c !== undefined) return Array.from({ length: n }, (_, i) => imm(BigInt.asIntN(64, (c >> BigInt(64 * i)) & maskOf(64))));
    if (e.k !== "name" && e.k !== "member" && e.k !== "index") return undefined;
    const l = this.lvalue(e, scope, ctx);
    if (l.l !== "wide" || l.slots.length !== n) return undefined;
    return l.slots.map((x) => this.f.load(x));
  }

  private sext(a: Arg, w: number): Arg {
    if (w >= 64) return a;
    const s = imm(64 - w);
    return this.f.bin("ashr", this.f.bin("shl", a, s), s);
  }

  private binary(e: Expr & { k: "binary" }, scope: Scope, ctx: ControlCtx | undefined, want?: P4Type): { arg: Arg; type: P4Type } {
    const f = this.f;
    if (e.op === "&&" || e.op === "||") {
      // §8.4: short-circuit: the right operand (which may apply a table) is evaluated only
      // when the left one does not decide.
      const a = this.expr(e.left, scope, ctx, BOOL);
      const r = f.slot(1);
      f.store(r, a.arg);
      const rhs = f.block("rhs");
      const join = f.block("shortcircuit");
      const c = f.cmp("ne", a.arg, imm(0));
      if (e.op === "&&") f.brIf(c, rhs, join);
      else f.brIf(c, join, rhs);
      f.start(rhs);
      const b = this.expr(e.right, scope, ctx, BOOL);
      f.store(r, b.arg);
      f.br(join);
      f.start(join);
      if (a.type.t !== "bool" || b.type.t !== "bool") typeError(this.env, e.pos, `${e.op} needs bool operands, not ${typeName(a.type)} and ${typeName(b.type)}`);
      return { arg: f.load(r), type: BOOL };
    }
    if (e.op === "<<" || e.op === ">>") {
      const a = this.expr(e.left, scope, ctx, want);
      const b = this.expr(e.right, scope, ctx);
      if (!isNum(a.type) && a.type.t !== "infint") typeError(this.env, e.pos, `${e.op} needs bit<W> or int<W> on the left, not ${typeName(a.type)}`);
      if (b.type.t === "int") typeError(this.env, e.pos, `the shift amount must be unsigned (bit<W> or a non-negative constant), not ${typeName(b.type)} (§8.5)`);
      const w = isNum(a.type) ? a.type.w : 64;
      // A shift by W or more gives 0 (bit) or the sign (int) (§8.5); BPF masks the amount, so clamp it.
      const amt = b.arg.kind === "imm" ? imm(b.arg.value > 63n ? 63n : b.arg.value) : f.emit("select", [f.cmp("ugt", b.arg, imm(63)), imm(63), b.arg]);
      if (e.op === "<<") {
        const r = f.mask(f.bin("shl", a.arg, amt), w);
        return { arg: b.arg.kind === "imm" && b.arg.value >= BigInt(w) ? imm(0) : r, type: a.type };
      }
      if (a.type.t === "int") return { arg: f.mask(f.bin("ashr", this.sext(a.arg, w), amt), w), type: a.type };
      return { arg: f.bin("lshr", a.arg, amt), type: a.type };
    }
    if (e.op === "==" || e.op === "!=") {
      const wide = this.wideWidth(e.left, scope) ?? this.wideWidth(e.right, scope);
      if (wide !== undefined) {
        // Chunk by chunk: equal when every xor is zero.
        const n = Math.ceil(wide / 64);
        const a = this.wideOperand(e.left, scope, ctx, n);
        const b = this.wideOperand(e.right, scope, ctx, n);
        if (!a || !b) {
          typeError(this.env, e.pos, `${e.op} on bit<${wide}> compares two bit<${wide}> fields or variables, or one and a constant`);
          return { arg: imm(0), type: BOOL };
        }
        const diff = a.reduce<Arg>((acc, x, i) => f.bin("or", acc, f.bin("xor", x, b[i]!)), imm(0));
        return { arg: f.bool(f.cmp(e.op === "==" ? "eq" : "ne", diff, imm(0))), type: BOOL };
      }
    }
    const left = this.expr(e.left, scope, ctx, undefined);
    const right = this.expr(e.right, scope, ctx, left.type.t === "infint" ? undefined : left.type);
    const l2 = left.type.t === "infint" && right.type.t !== "infint" ? this.expr(e.left, scope, ctx, right.type) : left;
    if (e.op === "++") {
      if (!isNum(left.type) || !isNum(right.type)) {
        typeError(this.env, e.pos, `++ needs bit<W> or int<W> operands with known widths, not ${typeName(left.type)} and ${typeName(right.type)} (§8.5)`);
        return { arg: imm(0), type: { t: "bit", w: 1 } };
      }
      const w = left.type.w + right.type.w;
      if (w > 64) this.unsupported(e.pos, "a concatenation wider than 64 bits");
      return { arg: f.bin("or", f.bin("shl", left.arg, imm(right.type.w)), right.arg), type: { t: left.type.t, w } };
    }
    const t = unify(this.env, e.pos, e.op, left.type, right.type);
    const a = l2.arg;
    const b = right.arg;
    const cmp: Record<string, [string, string]> = { "==": ["eq", "eq"], "!=": ["ne", "ne"], "<": ["ult", "slt"], "<=": ["ule", "sle"], ">": ["ugt", "sgt"], ">=": ["uge", "sge"] };
    if (cmp[e.op]) {
      const ordered = e.op !== "==" && e.op !== "!=";
      if (ordered && !isNum(t) && t.t !== "infint") typeError(this.env, e.pos, `${e.op} compares bit<W> or int<W>, not ${typeName(t)}`);
      if (!ordered && (t.t === "header" || t.t === "struct" || t.t === "stack")) this.unsupported(e.pos, "comparing headers or structs");
      const signed = t.t === "int";
      const [x, y] = signed ? [this.sext(a, t.w), this.sext(b, t.w)] : [a, b];
      return { arg: f.bool(f.cmp(cmp[e.op]![signed ? 1 : 0], x, y)), type: BOOL };
    }
    if (!isNum(t) && t.t !== "infint") {
      if (t.t !== "dontcare") typeError(this.env, e.pos, `operator ${e.op} needs bit<W> or int<W> operands, not ${typeName(t)} (§8.5)`);
      return { arg: imm(0), type: t };
    }
    const w = isNum(t) ? t.w : 64;
    const ops: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "&": "and", "|": "or", "^": "xor", "/": "udiv", "%": "urem" };
    if (e.op === "|+|" || e.op === "|-|") {
      // §8.5 saturating arithmetic on bit<W> (int<W> saturation is not lowered).
      if (t.t === "int") this.unsupported(e.pos, "saturating arithmetic on int<W>");
      if (e.op === "|+|") {
        const s = f.bin("add", a, b);
        return { arg: f.emit("select", [f.cmp("ugt", s, imm(BigInt.asIntN(64, maskOf(w)))), imm(BigInt.asIntN(64, maskOf(w))), s]), type: t };
      }
      return { arg: f.emit("select", [f.cmp("ult", a, b), imm(0), f.bin("sub", a, b)]), type: t };
    }
    if ((e.op === "/" || e.op === "%") && t.t === "int") this.unsupported(e.pos, "division of int<W>");
    const op = ops[e.op];
    if (!op) return this.unsupported(e.pos, `operator ${e.op}`);
    return { arg: f.mask(f.bin(op, a, b), w), type: t };
  }

  // ---- calls: methods, actions, externs, tables ----

  private call(e: Expr & { k: "call" }, scope: Scope, ctx?: ControlCtx): { arg: Arg; type: P4Type } {
    const f = this.f;
    const none = { arg: imm(0), type: VOID };
    const c = e.callee;
    if (c.k === "member") {
      const m = c.member;
      if (m === "apply" && c.base.k === "name" && lookup(scope, c.base.name)?.l === "table") {
        const r = this.tableApply(e, scope, ctx);
        return { arg: r.hit, type: VOID };
      }
      if (m === "setValid" || m === "setInvalid") {
        // The header may be a run-time stack element: its validity is copied back.
        const [b, writeBack] = this.writeTarget(() => this.lvalue(c.base, scope, ctx));
        if (b.l !== "struct" || !b.valid) return this.nameError(c.pos, `${m}() applies to headers (§8.17)`);
        if (m === "setValid") this.invalidateSiblings(b);
        f.store(b.valid, imm(m === "setValid" ? 1 : 0));
        writeBack();
        return none;
      }
      const base = this.lvalue(c.base, scope, ctx);
      if (base.l === "stack" && (m === "push_front" || m === "pop_front")) {
        this.shiftStack(base, m, e, c.pos);
        return none;
      }
      if (base.l === "packet") return this.packetMethod(m, e, scope, ctx);
      if (base.l === "struct" && base.type.t === "header" && (m === "minSizeInBits" || m === "minSizeInBytes")) {
        // §8.17: the header's size with its varbit field empty; a compile-time constant.
        const bits = fixedBits(base.type);
        return { arg: imm(m === "minSizeInBits" ? bits : Math.ceil(bits / 8)), type: INFINT };
      }
      if (base.l === "struct" && base.type.t === "header_union" && m === "isValid") {
        // §8.20: a union is valid when one of its members is.
        const any = [...base.fields.values()].reduce<Arg>((acc, x) => (x.l === "struct" && x.valid ? f.bin("or", acc, f.load(x.valid)) : acc), imm(0));
        return { arg: any, type: BOOL };
      }
      if (base.l === "struct" && (m === "isValid" || m === "setValid" || m === "setInvalid")) {
        if (!base.valid) return this.nameError(c.pos, `${m}() applies to headers (§8.17)`);
        if (m === "setValid") this.invalidateSiblings(base);
        if (m === "isValid") return { arg: f.load(base.valid), type: BOOL };
        f.store(base.valid, imm(m === "setValid" ? 1 : 0));
        return none;
      }
      if (base.l === "extern") return this.externMethod(base, m, e, scope, ctx);
      return this.unsupported(c.pos, `method '${m}' here`);
    }
    if (c.k === "name") {
      const l = lookup(scope, c.name);
      if (l?.l === "action") {
        this.inlineAction(l.decl, e.args, [], scope, ctx!);
        return none;
      }
      const d = this.env.decls.get(c.name);
      if (d?.d === "action") {
        this.inlineAction(d, e.args, [], scope, ctx!);
        return none;
      }
      if (d?.d === "extern_function") return this.externFunction(c.name, e, scope, ctx);
      return this.nameError(c.pos, `'${c.name}' is not an action or function`);
    }
    return this.unsupported(e.pos, "this call");
  }

  private packetMethod(m: string, e: Expr & { k: "call" }, scope: Scope, ctx?: ControlCtx): { arg: Arg; type: P4Type } {
    const f = this.f;
    const none = { arg: imm(0), type: VOID };
    switch (m) {
      case "extract": {
        if (e.args.length !== 1 && e.args.length !== 2) typeError(this.env, e.pos, "extract takes a header, and for a header with a varbit field its size in bits (§12.8)");
        const target = this.lvalue(e.args[0]!, scope, ctx) as Loc & { stack?: Loc & { l: "stack" }; idx?: Arg };
        const varbitBits = e.args[1] ? this.exprAs(e.args[1], { t: "bit", w: 32 }, scope) : undefined;
        if (target.stack) {
          // stack.next: extract into element i for the run-time index i, then advance.
          const st = target.stack;
          const join = f.block("pushed");
          st.elems.forEach((el, i) => {
            const yes = f.block("elem");
            const no = f.block("notelem");
            f.brIf(f.cmp("eq", target.idx!, imm(i)), yes, no);
            f.start(yes);
            this.extract(el, e.pos, varbitBits);
            f.br(join);
            f.start(no);
          });
          f.br(this.rejectBlock);
          f.start(join);
          f.store(st.next, f.bin("add", f.load(st.next), imm(1)));
          return none;
        }
        this.extract(target, e.pos, varbitBits);
        return none;
      }
      case "lookahead": {
        const t = e.typeArgs[0] ? resolveType(this.env, e.typeArgs[0]) : undefined;
        if (!t || !isNum(t)) return this.unsupported(e.pos, "lookahead of anything but bit<W>/int<W>");
        const bytes = Math.ceil(t.w / 8);
        const off = f.bin("and", f.load(this.pktOff), imm(OFFSET_MASK));
        const p = f.emit("ptradd", [this.data, off], "ptr.packet");
        const ok = f.block("lookahead");
        f.brIf(f.emit("packet.check", [p, this.end, imm(bytes)], "i1"), ok, this.rejectBlock);
        f.start(ok);
        return { arg: this.readBits(p, 0, t.w, e.pos), type: t };
      }
      case "advance": {
        const bits = constValue(this.env, e.args[0]!);
        if (bits === undefined || bits % 8n) return this.unsupported(e.pos, "advance by other than a constant number of whole bytes");
        const off = f.bin("and", f.load(this.pktOff), imm(OFFSET_MASK));
        const bytes = Number(bits / 8n);
        const p = f.emit("ptradd", [this.data, off], "ptr.packet");
        const ok = f.block("advance");
        f.brIf(f.emit("packet.check", [p, this.end, imm(bytes)], "i1"), ok, this.rejectBlock);
        f.start(ok);
        f.store(this.pktOff, f.bin("add", off, imm(bytes)));
        return none;
      }
      case "length":
        return { arg: f.mask(f.bin("sub", this.end, this.data), 32), type: { t: "bit", w: 32 } };
      case "emit": {
        const h = this.lvalue(e.args[0]!, scope, ctx);
        if (!this.emitList) return this.unsupported(e.pos, "emit outside a deparser");
        const add = (x: Loc) => {
          if (x.l === "struct" && x.valid) this.emitList!.push(x);
          else if (x.l === "struct") for (const y of x.fields.values()) add(y);
          else if (x.l === "stack") x.elems.forEach(add);
        };
        add(h);
        return none;
      }
    }
    return this.unsupported(e.pos, `packet method ${m}`);
  }

  private externFunction(name: string, e: Expr & { k: "call" }, scope: Scope, ctx?: ControlCtx): { arg: Arg; type: P4Type } {
    const f = this.f;
    const b16: P4Type = { t: "bit", w: 16 };
    switch (name) {
      case "verify": {
        const c = this.cond(e.args[0]!, scope, ctx);
        const ok = f.block("verified");
        f.brIf(c, ok, this.rejectBlock);
        f.start(ok);
        return { arg: imm(0), type: VOID };
      }
      case "csum_replace2":
      case "csum_replace4": {
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in 16-bit one's complement arithmetic.
        const w = name === "csum_replace2" ? 16 : 32;
        const hc = this.exprAs(e.args[0]!, b16, scope);
        const old = this.exprAs(e.args[1]!, { t: "bit", w }, scope);
        const nw = this.exprAs(e.args[2]!, { t: "bit", w }, scope);
        const words = (v: Arg) => (w === 16 ? [v] : [f.bin("lshr", v, imm(16)), f.mask(v, 16)]);
        let sum = f.bin("xor", hc, imm(0xffff));
        for (const x of words(old)) sum = f.bin("add", sum, f.bin("xor", x, imm(0xffff)));
        for (const x of words(nw)) sum = f.bin("add", sum, x);
        return { arg: this.foldComplement(sum), type: b16 };
      }
      case "ebpf_ipv4_checksum":
      case "checksum16": {
        const parts = name === "checksum16" ? this.listParts(e.args[0]!, scope, ctx) : e.args.map((a) => this.expr(a, scope, ctx));
        return { arg: this.internetChecksum(parts, e.pos), type: b16 };
      }
      case "hash": {
        const out = this.lvalue(e.args[0]!, scope, ctx);
        const algo = e.args[1]?.k === "member" ? e.args[1].member : "";
        const base = this.expr(e.args[2]!, scope, ctx);
        const parts = this.listParts(e.args[3]!, scope, ctx);
        const max = this.expr(e.args[4]!, scope, ctx);
        let h: Arg;
        if (algo === "identity") h = parts.reduce<Arg>((acc, p) => f.bin("or", f.bin("shl", acc, imm(widthOf(p.type))), p.arg), imm(0));
        else if (algo === "csum16") h = this.internetChecksum(parts, e.pos);
        else if (algo === "xor16") h = this.words16(parts, e.pos).reduce<Arg>((acc, x) => f.bin("xor", acc, x), imm(0));
        else if (algo in CRC_ALGORITHMS) h = this.crc(parts, e.pos, CRC_ALGORITHMS[algo as keyof typeof CRC_ALGORITHMS]);
        else return this.unsupported(e.pos, `hash algorithm '${algo}'`);
        const r = max.arg.kind === "imm" && max.arg.value === 0n ? h : f.bin("urem", h, max.arg);
        if (out.l !== "scalar") return this.unsupported(e.pos, "hash into a non-scalar");
        f.store(out.slot, f.mask(f.bin("add", base.arg, r), widthOf(out.type)));
        return { arg: imm(0), type: VOID };
      }
    }
    return this.unsupported(e.pos, `extern function ${name}`);
  }

  private listParts(e: Expr, scope: Scope, ctx?: ControlCtx): { arg: Arg; type: P4Type }[] {
    if (e.k === "list") return e.elems.map((x) => this.expr(x, scope, ctx));
    const l = this.lvalue(e, scope, ctx);
    if (l.l === "struct") {
      const out: { arg: Arg; type: P4Type }[] = [];
      const walk = (x: Loc) => (x.l === "struct" ? [...x.fields.values()].forEach(walk) : out.push({ arg: this.read(x, e.pos), type: this.locType(x) }));
      walk(l);
      return out;
    }
    return [{ arg: this.read(l, e.pos), type: this.locType(l) }];
  }

  /** The concatenated bits of the parts as 16-bit words, MSB first (the total must be a multiple of 16). */
  private words16(parts: { arg: Arg; type: P4Type }[], pos: Pos): Arg[] {
    return this.words(parts, pos, 16, "checksummed");
  }

  /** The concatenated bits of the parts as n-bit words (n <= 32), MSB first (the total must be a multiple of n). */
  private words(parts: { arg: Arg; type: P4Type }[], pos: Pos, n: number, what: string): Arg[] {
    const f = this.f;
    const spans = parts.map((p, i) => ({ arg: p.arg, w: widthOf(p.type), at: parts.slice(0, i).reduce((s, x) => s + widthOf(x.type), 0) }));
    const total = spans.reduce((s, x) => s + x.w, 0);
    if (total % n) typeError(this.env, pos, `the ${what} fields are ${total} bits, not a multiple of ${n}`);
    const words: Arg[] = [];
    for (let k = 0; k < Math.floor(total / n); k++) {
      let wv: Arg = imm(0);
      for (const s of spans) {
        const lo = Math.max(s.at, k * n);
        const hi = Math.min(s.at + s.w, k * n + n);
        if (lo >= hi) continue;
        const right = s.at + s.w - (k * n + n);
        const piece = right >= 0 ? f.bin("lshr", s.arg, imm(right)) : f.bin("shl", s.arg, imm(-right));
        let m = 0;
        for (let bit = lo; bit < hi; bit++) m |= (1 << (n - 1)) >>> (bit - k * n);
        wv = f.bin("or", wv, f.bin("and", piece, imm(m >>> 0)));
      }
      words.push(wv);
    }
    return words;
  }

  /**
   * A reflected CRC (the bytes of the concatenated parts, each LSB first, as bmv2's crc16
   * and crc32 compute them) bit by bit: crc = (crc >> 1) ^ (poly & -(crc & 1)). Unrolled:
   * no table, so no map to initialise, and no loop for targets without back edges.
   */
  private crc(parts: { arg: Arg; type: P4Type }[], pos: Pos, algo: (typeof CRC_ALGORITHMS)[keyof typeof CRC_ALGORITHMS]): Arg {
    const f = this.f;
    let crc: Arg = imm(algo.init);
    for (const byte of this.words(parts, pos, 8, "hashed")) {
      crc = f.bin("xor", crc, byte);
      for (let b = 0; b < 8; b++) {
        const low = f.bin("and", crc, imm(1));
        crc = f.bin("xor", f.bin("lshr", crc, imm(1)), f.bin("and", f.emit("neg", [low]), imm(algo.poly)));
      }
    }
    return f.mask(f.bin("xor", crc, imm(algo.xorOut)), algo.width);
  }

  /** RFC 1071: the one's complement of the one's complement sum of the 16-bit words. */
  private internetChecksum(parts: { arg: Arg; type: P4Type }[], pos: Pos): Arg {
    const sum = this.words16(parts, pos).reduce<Arg>((acc, x) => this.f.bin("add", acc, x), imm(0));
    return this.foldComplement(sum);
  }

  private foldComplement(sum: Arg): Arg {
    const f = this.f;
    let s = sum;
    for (let i = 0; i < 2; i++) s = f.bin("add", f.mask(s, 16), f.bin("lshr", s, imm(16)));
    return f.mask(f.bin("xor", s, imm(0xffff)), 16);
  }

  private externMethod(x: Loc & { l: "extern" }, m: string, e: Expr & { k: "call" }, scope: Scope, ctx?: ControlCtx): { arg: Arg; type: P4Type } {
    const f = this.f;
    const b32: P4Type = { t: "bit", w: 32 };
    const none = { arg: imm(0), type: VOID };
    const valueSize = this.maps.find((mm) => mm.name === x.map)!.valueSize;
    const lookupIdx = (idx: Arg): Arg => {
      const key = f.buffer(4);
      f.effect("store.u32", [word("stack"), f.fp, imm(key), idx]);
      return f.emit("map.lookup", [sym(x.map), f.emit("ptradd", [f.fp, imm(key)], "ptr.stack")], "ptr.map_value");
    };
    const ifFound = (p: Arg, body: () => void, otherwise?: () => void) => {
      const yes = f.block("found");
      const no = f.block("notfound");
      const join = f.block("endfound");
      f.brIf(f.cmp("ne", p, imm(0)), yes, no);
      f.start(yes);
      body();
      f.br(join);
      f.start(no);
      otherwise?.();
      f.br(join);
      f.start(join);
    };
    const addTo = (idx: Arg, amount: Arg, size: number) => {
      const p = lookupIdx(idx);
      ifFound(p, () => void f.emit(`atomic.add.u${size * 8}`, [word("map_value"), p, imm(0), amount]), () => {
        // A sparse CounterArray (hash map) creates the entry on first use.
        if (x.ext !== "CounterArray" || this.maps.find((mm) => mm.name === x.map)!.kind !== "hash") return;
        const v = f.buffer(4);
        f.effect("store.u32", [word("stack"), f.fp, imm(v), amount]);
        const key = f.buffer(4);
        f.effect("store.u32", [word("stack"), f.fp, imm(key), idx]);
        f.emit("map.update", [sym(x.map), f.emit("ptradd", [f.fp, imm(key)], "ptr.stack"), f.emit("ptradd", [f.fp, imm(v)], "ptr.stack"), imm(0)]);
      });
    };
    if (x.ext === "CounterArray" && (m === "increment" || m === "add")) {
      const idx = this.exprAs(e.args[0]!, b32, scope);
      const amount = m === "add" ? this.exprAs(e.args[1]!, b32, scope) : imm(1);
      addTo(idx, amount, 4);
      return none;
    }
    if (x.ext.startsWith("counter") && m === "count") {
      const idx = this.exprAs(e.args[0]!, b32, scope);
      addTo(idx, x.ext === "counter.bytes" ? f.bin("sub", this.end, this.data) : imm(1), 8);
      return none;
    }
    if (x.ext === "register") {
      const elem = (x.type as P4Type & { t: "extern" }).args[0]!;
      if (m === "read") {
        const out = this.lvalue(e.args[0]!, scope, ctx);
        const idx = this.exprAs(e.args[1]!, b32, scope);
        if (out.l !== "scalar" || !sameType(out.type, elem)) typeError(this.env, e.pos, `register.read needs an lvalue of type ${typeName(elem)}`);
        const p = lookupIdx(idx);
        ifFound(p, () => out.l === "scalar" && f.store(out.slot, f.emit(`load.u${valueSize * 8}`, [word("map_value"), p, imm(0)])), () => out.l === "scalar" && f.store(out.slot, imm(0)));
        return none;
      }
      if (m === "write") {
        const idx = this.exprAs(e.args[0]!, b32, scope);
        const v = this.exprAs(e.args[1]!, elem, scope);
        const p = lookupIdx(idx);
        ifFound(p, () => f.effect(`store.u${valueSize * 8}`, [word("map_value"), p, imm(0), v]));
        return none;
      }
    }
    return this.unsupported(e.pos, `${x.ext}.${m}`);
  }

  /**
   * An action inlined (§14.1): directional parameters bound to the call's arguments
   * (in: a copy; out/inout: the argument's storage), data parameters to `data` values.
   */
  private inlineAction(a: ActionDecl, args: readonly Expr[], data: readonly Arg[], scope: Scope, ctx: ControlCtx): void {
    const f = this.f;
    const names = new Map<string, Loc>();
    let di = 0;
    if (args.length > a.params.length) typeError(this.env, args[a.params.length]!.pos, `action ${a.name} takes ${a.params.length} parameter${a.params.length === 1 ? "" : "s"}, not ${args.length}`);
    a.params.forEach((p, i) => {
      const t = resolveType(this.env, p.type);
      if (p.direction === "out" || p.direction === "inout") {
        const arg = args[i];
        if (!arg) return this.nameError(a.pos, `action ${a.name} needs an argument for '${p.name}'`);
        names.set(p.name, this.lvalue(arg, scope, ctx));
        return;
      }
      const loc = this.alloc(t, p.pos);
      if (i < args.length) this.assign(loc, args[i]!, scope, ctx, p.pos);
      else if (!p.direction && di < data.length) f.store((loc as Loc & { l: "scalar" }).slot, f.mask(data[di++]!, widthOf(t)));
      else typeError(this.env, p.pos, `no value for parameter '${p.name}' of action ${a.name}`);
      names.set(p.name, loc);
    });
    const end = f.block(`end_${a.name}_`);
    const inner: Scope = { names, parent: scope };
    this.stmt(a.body, inner, { ...ctx, ret: end });
    f.br(end);
    f.start(end);
  }

  private actionDecl(ref: ActionRef, scope: Scope): ActionDecl {
    const l = lookup(scope, ref.name);
    if (l?.l === "action") return l.decl;
    const d = this.env.decls.get(ref.name);
    if (d?.d === "action") return d;
    return this.nameError(ref.pos, `'${ref.name}' is not an action`);
  }

  /** §14.2.2 apply: returns hit (0/1) and the index of the action that ran. */
  private tableApply(e: Expr & { k: "call" }, scope: Scope, ctx?: ControlCtx): { hit: Arg; actionRun: Arg; actions: readonly ActionRef[] } {
    const f = this.f;
    const c = e.callee;
    const tl = c.k === "member" && c.base.k === "name" ? lookup(scope, c.base.name) : undefined;
    if (!tl || tl.l !== "table") return this.nameError(e.pos, "apply() of something that is not a table");
    const t = tl.decl;
    if (!ctx) return this.unsupported(e.pos, "a table apply outside a control");
    const hit = f.slot(1);
    const run = f.slot(4);
    const join = f.block(`applied_${t.name}_`);
    const defaultRef = t.defaultAction ?? { name: "NoAction", args: [], pos: t.pos };
    const defaultIdx = t.actions.findIndex((a) => a.name === defaultRef.name);
    const runAction = (ref: ActionRef, data: readonly Arg[], hitValue: number) => {
      f.store(hit, imm(hitValue));
      f.store(run, imm(Math.max(0, t.actions.findIndex((a) => a.name === ref.name))));
      this.inlineAction(this.actionDecl(ref, scope), ref.args, data, scope, ctx);
      f.br(join);
    };
    if (defaultIdx < 0 && t.defaultAction) typeError(this.env, t.defaultAction.pos, `default_action ${defaultRef.name} is not in the table's actions list (§14.2.1.3)`);
    const keys = t.keys.map((k) => {
      if (!this.env.matchKinds.has(k.matchKind)) typeError(this.env, k.pos, `unknown match kind '${k.matchKind}'`);
      const v = this.expr(k.expr, scope, ctx);
      if (!isNum(v.type) && v.type.t !== "bool" && v.type.t !== "enum" && v.type.t !== "error") typeError(this.env, k.pos, `a table key must be bit<W>, int<W>, bool, an enum or error, not ${typeName(v.type)}`);
      return { ...v, kind: k.matchKind };
    });
    if (!keys.length) {
      runAction(defaultRef, [], 0);
      f.start(join);
      return { hit: f.load(hit), actionRun: f.load(run), actions: t.actions };
    }
    if (t.entries && t.constEntries) {
      // Const entries as code: compares in entry order, the first match wins.
      for (const en of t.entries) {
        const m = this.keysetMatch(keys, en.keys, scope);
        const yes = f.block("entry");
        const no = f.block("nextentry");
        if (m === undefined) f.br(yes);
        else f.brIf(m, yes, no);
        f.start(yes);
        runAction(en.action, [], 1);
        f.start(no);
      }
      runAction(defaultRef, [], 0);
      f.start(join);
      return { hit: f.load(hit), actionRun: f.load(run), actions: t.actions };
    }
    if (t.entries) this.unsupported(t.pos, "non-const `entries` (give them with --entries / STF `add`)");
    const info = this.tableInfo(t, tl.control, keys.map((k, i) => ({ name: textOf(t.keys[i]!.expr), kind: k.kind, width: widthOf(k.type), pos: t.keys[i]!.pos })), scope);
    // The lookup as one instruction: a match-action target reads the fields and their match
    // kinds; the lower-tables pass packs them into the map's key layout for BPF.
    const fields = keys.flatMap((k, i) => [word(k.kind), imm(info.keys[i]!.width), k.arg]);
    const p = f.emit("table.apply", [sym(info.mapName), ...fields], "ptr.map_value");
    const found = f.block("hit");
    const miss = f.block("miss");
    f.brIf(f.cmp("ne", p, imm(0)), found, miss);
    const vl = valueLayout(info);
    // The action an entry's value names (its u32 minus `base`) with its data; any other
    // index runs the declared default.
    const dispatch = (value: Arg, base: number, hitValue: number) => {
      const idx = f.emit("load.u32", [word("map_value"), value, imm(0)]);
      t.actions.forEach((ref, k) => {
        const yes = f.block("action");
        const no = f.block("notaction");
        f.brIf(f.cmp("eq", idx, imm(k + base)), yes, no);
        f.start(yes);
        const data = vl.actions[k]!.params.map((pp) => f.emit(`load.u${pp.bytes * 8}`, [word("map_value"), value, imm(pp.offset)]));
        runAction(ref, data, hitValue);
        f.start(no);
      });
      runAction(defaultRef, [], hitValue);
    };
    f.start(miss);
    if (info.defaultMap) {
      // A miss runs the control plane's default action (index + 1 in the default map's
      // one element) or, while that is 0, the declared one.
      const key = f.buffer(4);
      f.effect("store.u32", [word("stack"), f.fp, imm(key), imm(0)]);
      const d = f.emit("map.lookup", [sym(info.defaultMap), f.emit("ptradd", [f.fp, imm(key)], "ptr.stack")], "ptr.map_value");
      const set = f.block("setdefault");
      const declared = f.block("declareddefault");
      f.brIf(f.cmp("ne", d, imm(0)), set, declared);
      f.start(declared);
      runAction(defaultRef, [], 0);
      f.start(set);
      dispatch(d, 1, 0);
    } else runAction(defaultRef, [], 0);
    f.start(found);
    dispatch(p, 0, 1);
    f.start(join);
    return { hit: f.load(hit), actionRun: f.load(run), actions: t.actions };
  }

  private tableInfo(t: TableDecl, control: string, keys: TableInfo["keys"], scope: Scope): TableInfo {
    const mapName = `${control}_${t.name}`;
    const existing = this.tables.find((x) => x.mapName === mapName);
    if (existing) return existing;
    const kinds = keys.map((k) => k.kind);
    for (const k of keys) if (k.width > 64) this.unsupported(k.pos as Pos, "a table key wider than 64 bits");
    for (const k of keys) if (!(TABLE_MATCH_KINDS as readonly string[]).includes(k.kind)) this.unsupported(k.pos as Pos, `match kind '${k.kind}' in a table with control-plane entries (exact, lpm, ternary and range are)`);
    const lpm = kinds.filter((k) => k === "lpm").length;
    // A range key is a tcam too: the control plane expands each range into its prefix cover (entries.ts).
    const mapKind: TableInfo["mapKind"] = kinds.includes("ternary") || kinds.includes("range") ? "tcam" : lpm ? "lpm_trie" : "hash";
    if (mapKind === "lpm_trie" && (lpm > 1 || kinds[kinds.length - 1] !== "lpm")) this.unsupported(t.pos, "an lpm table whose lpm key is not the only lpm key and the last");
    const actions = t.actions.map((ref) => {
      const a = this.actionDecl(ref, scope);
      return { name: ref.name, params: a.params.filter((p) => !p.direction).map((p) => ({ name: p.name, width: widthOf(resolveType(this.env, p.type)) })) };
    });
    const size = t.size ? Number(constValue(this.env, t.size) ?? DEFAULT_TABLE_SIZE) : DEFAULT_TABLE_SIZE;
    const defaultMap = t.constDefault ? undefined : `${mapName}_defaultAction`;
    const info: TableInfo = { mapName, control, table: t.name, keys, actions, mapKind, size, defaultMap };
    const kl = keyLayout(info);
    const vl = valueLayout(info);
    // lpm_trie needs BPF_F_NO_PREALLOC (Documentation/bpf/map_lpm_trie.rst).
    this.maps.push({ name: mapName, kind: mapKind, keySize: kl.size, valueSize: vl.size, maxEntries: size, flags: mapKind === "lpm_trie" ? 1 : 0 });
    if (defaultMap) this.maps.push({ name: defaultMap, kind: "array", keySize: 4, valueSize: vl.size, maxEntries: 1, flags: 0 });
    this.tables.push(info);
    return info;
  }
}

/** An expression as source-like text, for key names (`hdr.ipv4.dstAddr`). */
export function textOf(e: Expr): string {
  switch (e.k) {
    case "name":
      return e.name;
    case "member":
      return `${textOf(e.base)}.${e.member}`;
    case "index":
      return `${textOf(e.base)}[${e.index.k === "int" ? e.index.value : "?"}]`;
    case "slice":
      return `${textOf(e.base)}[${e.hi.k === "int" ? e.hi.value : "?"}:${e.lo.k === "int" ? e.lo.value : "?"}]`;
    default:
      return "?";
  }
}

/** A header's bits without its varbit field (§8.17: minSizeInBits). */
function fixedBits(t: P4Type): number {
  return t.t === "header" ? t.fields.reduce((n, fl) => n + (fl.type.t === "varbit" ? 0 : widthOf(fl.type)), 0) : widthOf(t);
}

function varbitOf(h: Loc & { l: "struct" }): (Loc & { l: "varbit" }) | undefined {
  for (const x of h.fields.values()) if (x.l === "varbit") return x;
  return undefined;
}
