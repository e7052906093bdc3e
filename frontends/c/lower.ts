// Lowering a C translation unit to bpfoff's IR, one module per program (a non-static
// function with an XDP section; others are raw programs). The semantics of C live here:
// scopes, type resolution, integer promotions and conversions (types.ts), constant
// expressions, and the lowering of statements and expressions.
//
// Invariants of the IR it produces, which the passes after it rely on:
//   - a C value of integer type sits in an i64 normalised to its type: zero-extended when
//     unsigned, sign-extended when signed; so 64-bit compares and shifts are right for it;
//   - memory always holds C's representation (a u16 is 2 bytes), so loads and stores
//     have the type's size; every local lives in a stack slot at a fixed frame offset,
//     which mem2reg promotes to SSA values when its address does not escape;
//   - pointers through which the program reads are region `any` until the caller runs
//     ir/lift's type inference (after mem2reg), which finds their regions as it does for
//     lifted BPF: packet from ctx.get, map_value from map.lookup, stack from frame;
//   - every function call is inlined (static inline functions and helpers' wrappers), so
//     that packet pointers keep their proofs; helpers become call.helper or map ops by
//     their Linux number (the `(void *) N` of bpf_helper_defs.h).
import { diag, DiagnosticError, fail, type Diagnostic, type Location } from "../../ir/diag/diag.js";
import { imm, sym, word, type Arg, type Func, type Module, type Region, type Type } from "../../ir/core/ir.js";
import { mapKindByLinuxType, type MapDef } from "../../runtime/maps/def.js";
import type { Attribute, Declaration, DeclSpec, Declarator, Designator, Expr, External, FunctionDef, Initializer, Stmt, TranslationUnit, TypeName } from "./ast.js";
import { FuncBuilder } from "./builder.js";
import {
  alignOf, describe, findField, INT_TYPES, intOf, isInteger, isScalar, layoutRecord, normalize, promote, ptrTo, sizeOf, typeOfSpecifiers, usualArithmetic, VOID,
  type CType, type IntType, type MemberDecl,
} from "./types.js";

/** BPF_F_RDONLY_PROG (include/uapi/linux/bpf.h): .rodata is read-only to programs. */
const BPF_F_RDONLY_PROG = 0x80;
/** The BPF stack is 512 bytes per frame (kernel MAX_BPF_STACK). */
const MAX_STACK = 512;
/** Helpers that are map operations in the IR (ops.ts), by Linux helper number. */
const MAP_OPS: Readonly<Record<number, "map.lookup" | "map.update" | "map.delete">> = { 1: "map.lookup", 2: "map.update", 3: "map.delete" };
/** Unrolling stops here: a `#pragma unroll` loop must have a trip count the lowering can compute. */
const MAX_UNROLL = 256;
/** Inlining depth: deeper means recursion, which BPF does not allow. */
const MAX_INLINE_DEPTH = 16;

type Sym =
  | { readonly k: "typedef"; readonly type: CType }
  | { readonly k: "enumconst"; readonly value: bigint; readonly type: IntType }
  | { readonly k: "local"; readonly type: CType; readonly off: number }
  | { readonly k: "global"; readonly name: string; readonly type: CType; readonly spec: DeclSpec; readonly init?: Initializer; readonly attrs: readonly Attribute[]; readonly loc: Location }
  | { readonly k: "func"; readonly name: string; readonly type: CType; readonly def?: FunctionDef };

interface Scope {
  readonly names: Map<string, Sym>;
  readonly tags: Map<string, CType>;
  readonly parent?: Scope;
}

/** An expression's value: an rvalue, an lvalue (memory), a map, or a function. */
type Val =
  /** `bits`: the value is known to lie in [0, 2^bits), which lets conversions and 32-bit fix-ups go. */
  | { readonly k: "rv"; readonly v: Arg; readonly t: CType; readonly bits?: number }
  | { readonly k: "lv"; readonly base: Arg; readonly region: Region; readonly off: number; readonly t: CType; readonly bits?: { readonly offset: number; readonly width: number } }
  | { readonly k: "map"; readonly name: string; readonly t: CType }
  | { readonly k: "func"; readonly sym: Extract<Sym, { k: "func" }> | Extract<Sym, { k: "global" }>; readonly t: CType };

interface LoopTargets {
  readonly breakTo?: string;
  readonly continueTo?: string;
}

/** A global data section's contents as laid out so far. */
interface DataSection {
  readonly name: string;
  bytes: number[];
  readonly offsets: Map<string, number>;
}

export interface CProgram {
  readonly name: string;
  readonly section: string;
  readonly module: Module;
}

export interface CUnit {
  readonly programs: readonly CProgram[];
  readonly maps: readonly MapDef[];
  readonly mapInit: ReadonlyMap<string, Uint8Array>;
  readonly license: string;
}

const attr = (attrs: readonly Attribute[], name: string): Attribute | undefined => attrs.find((a) => a.name === name);

/** Lowers a translation unit: maps, global data, and one module per program function. */
export function lowerUnit(tu: TranslationUnit): CUnit {
  return new Lowering(tu).run();
}

class Lowering {
  private readonly global: Scope = { names: new Map(), tags: new Map() };
  private scope: Scope = this.global;
  private readonly diags: Diagnostic[] = [];
  private readonly maps: MapDef[] = [];
  private readonly data = new Map<string, DataSection>();
  private license = "";
  private readonly globalsByName = new Map<string, { section: string; offset: number }>();
  // Per function being lowered:
  private fb!: FuncBuilder;
  private frame?: Arg;
  /**
   * The frame has two zones: aggregates (arrays, structs: what gets its address passed
   * around) at the top, from offset 0 down, and scalars below them, from -scalarBase
   * down. An object's address lets one reach only the bytes above it (C objects extend
   * upward from their address), so mem2reg can still promote every scalar when an
   * aggregate's address escapes to a helper. scalarBase comes from a first lowering of
   * the function that measures the aggregates (lowering is deterministic).
   */
  private frameSize = 0;
  private aggregateSize = 0;
  private scalarBase = 0;
  private labels = new Map<string, string>();
  private loop: LoopTargets = {};
  private ret?: { block: string; type: CType };
  private switchCases?: { values: { lo: bigint; hi: bigint; block: string }[]; defaultBlock?: string; type: IntType };
  private inlineDepth = 0;

  constructor(private readonly tu: TranslationUnit) {}

  private error(code: Parameters<typeof diag>[0], loc: Location, args: (string | number | bigint)[]): never {
    return fail(code, loc, args);
  }

  // ---- Declarations and types ----

  run(): CUnit {
    const programs: FunctionDef[] = [];
    for (const ext of this.tu.externals) {
      if (ext.k === "func") {
        this.declareFunction(ext);
        if (!ext.spec.storage.includes("static") && attr([...ext.spec.attributes, ...ext.declarator.attributes], "section")) programs.push(ext);
      } else this.declareGlobal(ext);
    }
    if (!programs.length) this.error("c-unsupported", { file: this.tu.file }, ["a file without a program (no non-static function with SEC(\"...\"))"]);
    const mapInit = new Map<string, Uint8Array>();
    for (const s of [".data", ".rodata", ".bss"]) {
      const d = this.data.get(s);
      if (!d || !d.bytes.length) continue;
      this.maps.push({ name: s, kind: "array", keySize: 4, valueSize: d.bytes.length, maxEntries: 1, flags: s === ".rodata" ? BPF_F_RDONLY_PROG : 0 });
      // Every global data map has an initial image, .bss too (zeros), as the ELF loader gives it.
      mapInit.set(s, Uint8Array.from(d.bytes));
    }
    const out = programs.map((p) => this.lowerProgram(p));
    if (this.diags.length) throw new DiagnosticError(this.diags);
    return { programs: out, maps: this.maps, mapInit, license: this.license };
  }

  private lookup(name: string): Sym | undefined {
    for (let s: Scope | undefined = this.scope; s; s = s.parent) {
      const x = s.names.get(name);
      if (x) return x;
    }
    return undefined;
  }

  private lookupTag(tag: string): CType | undefined {
    for (let s: Scope | undefined = this.scope; s; s = s.parent) {
      const x = s.tags.get(tag);
      if (x) return x;
    }
    return undefined;
  }

  private specType(spec: DeclSpec): CType {
    if (spec.typedefName !== undefined) {
      const s = this.lookup(spec.typedefName);
      if (s?.k !== "typedef") this.error("c-type", spec.loc, [`'${spec.typedefName}' is not a type`]);
      return s.type;
    }
    if (spec.record) return this.recordType(spec.record);
    if (spec.enumSpec) return this.enumType(spec.enumSpec);
    if (spec.typeofSpec) {
      if (spec.typeofSpec.type) return this.typeName(spec.typeofSpec.type);
      return this.typeOfExpr(spec.typeofSpec.expr!);
    }
    const words = spec.words.length ? spec.words : ["int"];
    const t = typeOfSpecifiers(words);
    if (!t) this.error("c-type", spec.loc, [`'${spec.words.join(" ")}' is not a valid type`]);
    return t;
  }

  private recordType(r: NonNullable<DeclSpec["record"]>): CType {
    let t: CType | undefined;
    if (r.tag !== undefined) {
      // A tag with members declares a new type in this scope; without, it names the visible one.
      t = r.members ? this.scope.tags.get(r.tag) : this.lookupTag(r.tag);
      if (!t) {
        t = { k: "record", rec: { tag: r.tag, union: r.union, size: 0, align: 1 } };
        (r.members ? this.scope : this.global).tags.set(r.tag, t);
      }
    } else t = { k: "record", rec: { union: r.union, size: 0, align: 1 } };
    if (t.k !== "record") this.error("c-type", r.loc, [`'${r.tag}' is not a ${r.union ? "union" : "struct"}`]);
    if (r.members) {
      if (t.rec.fields) this.error("c-redefined", r.loc, [`${r.union ? "union" : "struct"} ${r.tag}`]);
      const members: MemberDecl[] = [];
      for (const m of r.members) {
        const base = this.specType(m.spec);
        if (!m.declarators.length) {
          members.push({ type: base }); // anonymous struct/union member
          continue;
        }
        for (const d of m.declarators) {
          const { name, type } = d.declarator ? this.declarator(d.declarator, base) : { name: undefined, type: base };
          const width = d.width ? Number(this.constInt(d.width)) : undefined;
          const alignA = attr([...d.attributes, ...(d.declarator?.attributes ?? []), ...m.spec.attributes], "aligned");
          members.push({ name, type, bitWidth: width, align: alignA ? this.alignArg(alignA) : undefined });
        }
      }
      const packed = attr(r.attributes, "packed") !== undefined;
      const aligned = attr(r.attributes, "aligned");
      layoutRecord(t.rec, members, packed, aligned ? this.alignArg(aligned) : undefined);
    }
    return t;
  }

  private alignArg(a: Attribute): number {
    return a.args.length ? Number(this.constInt(a.args[0]!)) : 8; // `aligned` alone: the target's largest alignment
  }

  private enumType(e: NonNullable<DeclSpec["enumSpec"]>): CType {
    if (e.enumerators) {
      let next = 0n;
      let min = 0n;
      let max = 0n;
      for (const en of e.enumerators) {
        const v = en.value ? this.constInt(en.value) : next;
        // C11 §6.7.2.2: enumeration constants have type int (GNU: wider when they do not fit).
        const t = v >= -(2n ** 31n) && v < 2n ** 31n ? INT_TYPES.int : v >= 0n && v < 2n ** 32n ? INT_TYPES.uint : v < 0n ? INT_TYPES.long : INT_TYPES.ulong;
        this.scope.names.set(en.name, { k: "enumconst", value: v, type: t });
        next = v + 1n;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      // clang: unsigned int when no value is negative, else int; wider when needed.
      const base = min < 0n ? (min >= -(2n ** 31n) && max < 2n ** 31n ? INT_TYPES.int : INT_TYPES.long) : max < 2n ** 32n ? INT_TYPES.uint : INT_TYPES.ulong;
      const t: CType = { k: "enum", tag: e.tag, base };
      if (e.tag !== undefined) this.scope.tags.set(e.tag, t);
      return t;
    }
    const known = e.tag !== undefined ? this.lookupTag(e.tag) : undefined;
    return known ?? { k: "enum", tag: e.tag, base: INT_TYPES.uint };
  }

  /** Applies a declarator's derivations to the specifiers' type. */
  private declarator(d: Declarator, base: CType): { name?: string; type: CType } {
    let t = base;
    for (const x of d.derivations) {
      if (x.k === "ptr") t = ptrTo(t);
      else if (x.k === "array") t = { k: "array", of: t, n: x.size ? Number(this.constInt(x.size)) : undefined };
      else {
        const params = x.params.map((p) => {
          const pt = this.declarator(p.declarator, this.specType(p.spec)).type;
          // C11 §6.7.6.3p7-8: array and function parameters are pointers.
          return pt.k === "array" ? ptrTo(pt.of) : pt.k === "func" ? ptrTo(pt) : pt;
        });
        t = { k: "func", ret: t, params, variadic: x.variadic, prototyped: x.prototyped };
      }
    }
    return { name: d.name, type: t };
  }

  private typeName(tn: TypeName): CType {
    return this.declarator(tn.declarator, this.specType(tn.spec)).type;
  }

  private declareFunction(f: FunctionDef): void {
    const { name, type } = this.declarator(f.declarator, this.specType(f.spec));
    const prev = this.global.names.get(name!);
    if (prev?.k === "func" && prev.def) this.error("c-redefined", f.loc, [name!]);
    this.global.names.set(name!, { k: "func", name: name!, type, def: f });
  }

  private declareGlobal(d: Declaration): void {
    if (d.spec.storage.includes("_Static_assert")) {
      return this.staticAssert(d);
    }
    const base = this.specType(d.spec);
    for (const id of d.declarators) {
      const { name, type } = this.declarator(id.declarator, base);
      if (name === undefined) continue;
      const loc = id.declarator.loc;
      if (d.spec.storage.includes("typedef")) {
        this.scope.names.set(name, { k: "typedef", type: this.typedefType(type, [...d.spec.attributes, ...id.attributes, ...id.declarator.attributes]) });
        continue;
      }
      if (type.k === "func") {
        const prev = this.global.names.get(name);
        if (!(prev?.k === "func" && prev.def)) this.global.names.set(name, { k: "func", name, type });
        continue;
      }
      const attrs = [...d.spec.attributes, ...id.attributes, ...id.declarator.attributes];
      const sym: Sym = { k: "global", name, type: completeArray(type, id.init), spec: d.spec, init: id.init, attrs, loc };
      this.global.names.set(name, sym);
      if (d.spec.storage.includes("extern")) continue;
      const section = this.sectionOf(attrs);
      if (section === ".maps") this.maps.push(this.mapDef(name, type, loc));
      else if (section === "license") this.license = this.licenseOf(id.init, loc);
      else if (this.helperId(sym) === undefined) this.placeGlobal(sym, section);
    }
  }

  /** C11 §6.7.10: a false condition is an error, with the assertion's message. */
  private staticAssert(d: Declaration): void {
    const [cond, message] = d.spec.attributes[0]!.args;
    if (this.constInt(cond!) !== 0n) return;
    const text = message?.k === "string" ? `: ${Buffer.from(message.bytes).toString("utf8")}` : "";
    this.error("c-type", d.loc, [`static assertion failed${text}`]);
  }

  /**
   * A typedef's type: with __attribute__((aligned(N))) on the typedef itself (not on a
   * struct it defines), GNU C raises the alignment only (sizeof stays; clang agrees).
   */
  private typedefType(t: CType, attrs: readonly Attribute[]): CType {
    const a = attr(attrs, "aligned");
    return a ? { ...t, align: this.alignArg(a) } : t;
  }

  private sectionOf(attrs: readonly Attribute[]): string | undefined {
    const a = attr(attrs, "section");
    const s = a?.args[0];
    return s?.k === "string" ? Buffer.from(s.bytes).toString("latin1") : undefined;
  }

  private licenseOf(init: Initializer | undefined, loc: Location): string {
    if (init?.k === "expr" && init.expr.k === "string") return Buffer.from(init.expr.bytes).toString("latin1");
    return this.error("c-type", loc, ["the license must be a string literal"]);
  }

  /** A BTF-defined map: `struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps");` */
  private mapDef(name: string, type: CType, loc: Location): MapDef {
    if (type.k !== "record" || !type.rec.fields) return this.error("c-map", loc, [`map '${name}' must be an anonymous struct of __uint/__type/__array members`]);
    const num = (field: string): number | undefined => {
      const f = findField(type.rec, field)?.field;
      if (!f) return undefined;
      // __uint(name, N) is `int (*name)[N]`.
      if (f.type.k === "ptr" && f.type.to.k === "array" && f.type.to.n !== undefined) return f.type.to.n;
      return this.error("c-map", loc, [`map '${name}': ${field} must be declared with __uint`]);
    };
    const typeSize = (field: string): number | undefined => {
      const f = findField(type.rec, field)?.field;
      if (!f) return undefined;
      // __type(name, T) is `typeof(T) *name`.
      if (f.type.k !== "ptr") return this.error("c-map", loc, [`map '${name}': ${field} must be declared with __type`]);
      return sizeOf(f.type.to);
    };
    const linuxType = num("type");
    const kind = linuxType === undefined ? undefined : mapKindByLinuxType(linuxType);
    if (!kind) return this.error("c-map", loc, [`map '${name}': ${linuxType === undefined ? "no type" : `map type ${linuxType} is not supported`}`]);
    const keySize = typeSize("key") ?? num("key_size");
    const valueSize = typeSize("value") ?? num("value_size") ?? (findField(type.rec, "values") ? 4 : undefined);
    const maxEntries = num("max_entries");
    if (keySize === undefined || valueSize === undefined || maxEntries === undefined) this.error("c-map", loc, [`map '${name}' needs a key, a value and max_entries`]);
    return { name, kind, keySize, valueSize, maxEntries, flags: num("map_flags") ?? 0 };
  }

  /** The helper number of a global `static T (*name)(...) = (void *) N;`, else undefined. */
  private helperId(s: Extract<Sym, { k: "global" }>): number | undefined {
    if (s.type.k !== "ptr" || s.type.to.k !== "func" || s.init?.k !== "expr") return undefined;
    const v = this.tryConst(s.init.expr);
    return v === undefined ? undefined : Number(v.value);
  }

  /** Lays a global out in .data, .rodata or .bss (libbpf's rules: const → .rodata, zero → .bss). */
  private placeGlobal(s: Extract<Sym, { k: "global" }>, section: string | undefined): void {
    const size = sizeOf(s.type);
    if (size === undefined) this.error("c-type", s.loc, [`'${s.name}' has an incomplete type (${describe(s.type)})`]);
    const bytes = new Array<number>(size!).fill(0);
    if (s.init) this.constInit(s.type, s.init, bytes, 0, s.loc);
    const name = section ?? (s.spec.isConst ? ".rodata" : bytes.some((b) => b !== 0) ? ".data" : ".bss");
    const base = [".data", ".rodata", ".bss"].find((p) => name === p || name.startsWith(p + "."));
    if (!base) this.error("c-unsupported", s.loc, [`global data in section '${name}'`]);
    const d: DataSection = this.data.get(base) ?? { name: base, bytes: [], offsets: new Map() };
    this.data.set(base, d);
    const align = alignOf(s.type);
    while (d.bytes.length % align) d.bytes.push(0);
    d.offsets.set(s.name, d.bytes.length);
    this.globalsByName.set(s.name, { section: base, offset: d.bytes.length });
    d.bytes.push(...bytes);
  }

  /** A constant initialiser written into bytes (little-endian). */
  private constInit(t: CType, init: Initializer, out: number[], at: number, loc: Location): void {
    if (init.k === "expr") {
      if (t.k === "array" && init.expr.k === "string") {
        init.expr.bytes.forEach((b, i) => {
          if (at + i < out.length) out[at + i] = b;
        });
        return;
      }
      if (!isScalar(t)) this.error("c-unsupported", loc, ["a non-constant aggregate initialiser of a global"]);
      const v = normalize(this.constInt(init.expr), t);
      const size = sizeOf(t)!;
      for (let i = 0; i < size; i++) out[at + i] = Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn);
      return;
    }
    this.walkInit(t, init, loc, (ft, e, off, bits) => {
      if (!bits) return this.constInit(ft, e, out, at + off, loc);
      // A bit-field: its bits within the storage unit at `off`, little-endian.
      if (e.k !== "expr") this.error("c-type", loc, ["a bit-field needs a scalar initialiser"]);
      const v = BigInt.asUintN(bits.width, this.constInt(e.expr));
      for (let i = 0; i < bits.width; i++) {
        const bit = bits.offset + i;
        const byte = at + off + (bit >> 3);
        if ((v >> BigInt(i)) & 1n) out[byte] = out[byte]! | (1 << (bit & 7));
        else out[byte] = out[byte]! & ~(1 << (bit & 7));
      }
    });
  }

  /**
   * Visits the elements a braced initialiser sets (C11 §6.7.9): designators or the next
   * member/element in order; nested braces for nested aggregates; scalars in braces.
   */
  private walkInit(t: CType, init: Extract<Initializer, { k: "list" }>, loc: Location, set: (t: CType, e: Initializer, off: number, bits?: { offset: number; width: number }) => void): void {
    if (isScalar(t)) {
      if (init.items[0]) set(t, init.items[0].init, 0);
      return;
    }
    let pos = 0;
    for (const item of init.items) {
      let ct = t;
      let off = 0;
      let bits: { offset: number; width: number } | undefined;
      const path: Designator[] = [...item.designators];
      if (!path.length) {
        if (t.k === "array") path.push({ k: "index", index: { k: "int", text: String(pos), loc } });
        else if (t.k === "record") {
          const named = (t.rec.fields ?? []).filter((f) => f.name !== undefined || f.type.k === "record");
          const f = named[pos];
          if (!f) this.error("c-type", loc, ["too many initialisers"]);
          ct = f.type;
          off = f.offset;
          if (f.bitWidth !== undefined) bits = { offset: f.bitOffset! - f.offset * 8, width: f.bitWidth };
          pos++;
          this.setInit(ct, item.init, off, bits, loc, set);
          continue;
        }
      }
      for (const [k, dsg] of path.entries()) {
        if (dsg.k === "index") {
          if (ct.k !== "array") this.error("c-type", loc, ["an index designator needs an array"]);
          const i = Number(this.constInt(dsg.index));
          off += i * (sizeOf(ct.of) ?? 0);
          ct = ct.of;
          if (k === 0) pos = i + 1;
        } else {
          if (ct.k !== "record") this.error("c-type", dsg.loc, [`.${dsg.name} needs a struct or union`]);
          const f = findField(ct.rec, dsg.name);
          if (!f) this.error("c-type", dsg.loc, [`${describe(ct)} has no member '${dsg.name}'`]);
          off += f.offset;
          if (f.field.bitWidth !== undefined) bits = { offset: f.field.bitOffset! - f.field.offset * 8, width: f.field.bitWidth };
          if (k === 0 && ct === t) pos = (ct.rec.fields ?? []).findIndex((x) => x.name === dsg.name) + 1;
          ct = f.field.type;
        }
      }
      this.setInit(ct, item.init, off, bits, loc, set);
    }
  }

  private setInit(t: CType, init: Initializer, off: number, bits: { offset: number; width: number } | undefined, loc: Location, set: (t: CType, e: Initializer, off: number, bits?: { offset: number; width: number }) => void): void {
    if (init.k === "list" && !isScalar(t)) return this.walkInit(t, init, loc, (ft, e, o, b) => set(ft, e, off + o, b));
    if (init.k === "list") return this.setInit(t, init.items[0]?.init ?? { k: "expr", expr: { k: "int", text: "0", loc } }, off, bits, loc, set);
    set(t, init, off, bits);
  }

  // ---- Constant expressions (C11 §6.6) ----

  private constInt(e: Expr): bigint {
    const v = this.tryConst(e);
    if (v === undefined && (e.k === "sizeof" || e.k === "alignof")) {
      const t = e.type ? this.typeName(e.type) : this.typeOfExpr(e.operand!);
      this.error("c-type", e.loc, [`${e.k === "sizeof" ? "sizeof" : "_Alignof"} of incomplete type ${describe(t)}`]);
    }
    if (v === undefined) this.error("c-const", e.loc, [describeExpr(e)]);
    return v.value;
  }

  /** The value of an integer constant expression, or undefined when it is not one. */
  private tryConst(e: Expr): { value: bigint; type: CType } | undefined {
    switch (e.k) {
      case "int":
        return parseIntConstant(e.text);
      case "char":
        return { value: charValue(e.text), type: INT_TYPES.int };
      case "ident": {
        const s = this.lookup(e.name);
        return s?.k === "enumconst" ? { value: s.value, type: s.type } : undefined;
      }
      case "sizeof":
      case "alignof": {
        if (e.operand) {
          const v = this.valueOfExpr(e.operand);
          // C11 §6.5.3.4p1: not of a bit-field.
          if (v.k === "lv" && v.bits) this.error("c-type", e.loc, [`${e.k === "sizeof" ? "sizeof" : "_Alignof"} of a bit-field`]);
        }
        const t = e.type ? this.typeName(e.type) : this.typeOfExpr(e.operand!);
        const n = e.k === "sizeof" ? sizeOf(t) : alignOf(t);
        return n === undefined ? undefined : { value: BigInt(n), type: INT_TYPES.ulong };
      }
      case "offsetof":
        return { value: BigInt(this.offsetOf(this.typeName(e.type), e.path, e.loc).offset), type: INT_TYPES.ulong };
      case "typescompat":
        return { value: sameType(this.typeName(e.a), this.typeName(e.b)) ? 1n : 0n, type: INT_TYPES.int };
      case "cast": {
        const t = this.typeName(e.type);
        const v = this.tryConst(e.operand);
        if (!v || !(isInteger(t) || t.k === "ptr")) return undefined;
        return { value: normalize(v.value, t), type: t };
      }
      case "unary": {
        const v = this.tryConst(e.operand);
        if (!v || !isInteger(v.type)) return undefined;
        const t = promote(v.type);
        switch (e.op) {
          case "-": return { value: normalize(-v.value, t), type: t };
          case "+": return { value: v.value, type: t };
          case "~": return { value: normalize(~v.value, t), type: t };
          case "!": return { value: v.value === 0n ? 1n : 0n, type: INT_TYPES.int };
          default: return undefined;
        }
      }
      case "binary": {
        if (e.op === "&&" || e.op === "||") {
          const l = this.tryConst(e.left);
          if (!l) return undefined;
          if (e.op === "&&" && l.value === 0n) return { value: 0n, type: INT_TYPES.int };
          if (e.op === "||" && l.value !== 0n) return { value: 1n, type: INT_TYPES.int };
          const r = this.tryConst(e.right);
          return r ? { value: r.value !== 0n ? 1n : 0n, type: INT_TYPES.int } : undefined;
        }
        const l = this.tryConst(e.left);
        const r = this.tryConst(e.right);
        if (!l || !r || !isInteger(l.type) || !isInteger(r.type)) return undefined;
        return foldBinary(e.op, l, r);
      }
      case "cond": {
        const c = this.tryConst(e.cond);
        if (!c) return undefined;
        const pick = c.value !== 0n ? (e.then ?? e.cond) : e.else;
        const other = this.tryConst(c.value !== 0n ? e.else : (e.then ?? e.cond));
        const v = this.tryConst(pick);
        if (!v) return undefined;
        const t = other && isInteger(other.type) && isInteger(v.type) ? usualArithmetic(v.type, other.type) : v.type;
        return { value: normalize(v.value, t), type: t };
      }
      case "call": {
        // __builtin_constant_p and the byte-swap builtins fold on constants (bpf_htons of a constant).
        if (e.callee.k !== "ident") return undefined;
        const n = e.callee.name;
        if (n === "__builtin_constant_p") return { value: this.tryConst(e.args[0]!) ? 1n : 0n, type: INT_TYPES.int };
        const bswap = /^__builtin_bswap(16|32|64)$/.exec(n);
        if (bswap) {
          const v = this.tryConst(e.args[0]!);
          if (!v) return undefined;
          const bits = Number(bswap[1]);
          return { value: byteSwap(BigInt.asUintN(bits, v.value), bits / 8), type: bits === 16 ? INT_TYPES.ushort : bits === 32 ? INT_TYPES.uint : INT_TYPES.ulong };
        }
        if (n === "__builtin_expect" && e.args.length === 2) return this.tryConst(e.args[0]!);
        return undefined;
      }
      case "comma":
        return undefined;
      default:
        return undefined;
    }
  }

  private offsetOf(t: CType, path: readonly Designator[], loc: Location): { offset: number; type: CType } {
    let off = 0;
    let ct = t;
    for (const d of path) {
      if (d.k === "field") {
        if (ct.k !== "record") this.error("c-type", loc, [`offsetof: ${describe(ct)} is not a struct or union`]);
        const f = findField(ct.rec, d.name);
        if (!f) this.error("c-type", d.loc, [`${describe(ct)} has no member '${d.name}'`]);
        off += f.offset;
        ct = f.field.type;
      } else {
        if (ct.k !== "array") this.error("c-type", loc, ["offsetof: an index needs an array"]);
        off += Number(this.constInt(d.index)) * (sizeOf(ct.of) ?? 0);
        ct = ct.of;
      }
    }
    return { offset: off, type: ct };
  }

  /** The type of an expression without lowering it (sizeof, typeof). */
  private typeOfExpr(e: Expr): CType {
    const c = this.tryConst(e);
    if (c) return c.type;
    return this.valueOfExpr(e).t;
  }

  /** An expression's Val in a throwaway builder: its type, and whether it is a bit-field. */
  private valueOfExpr(e: Expr): Val {
    // Lower into a throwaway builder: only the type is kept.
    const saved = { fb: this.fb, frame: this.frame, frameSize: this.frameSize, aggregateSize: this.aggregateSize, scalarBase: this.scalarBase };
    this.fb = new FuncBuilder("typeof", []);
    this.frame = undefined;
    try {
      return this.expr(e);
    } finally {
      Object.assign(this, saved);
    }
  }

  // ---- Functions ----

  private lowerProgram(f: FunctionDef): CProgram {
    const sym = this.global.names.get(f.declarator.name!) as Extract<Sym, { k: "func" }>;
    const section = this.sectionOf([...f.spec.attributes, ...f.declarator.attributes])!;
    const type: Module["type"] = section === "xdp" || /^xdp[./]/.test(section) ? "xdp" : "raw";
    const ft = sym.type as Extract<CType, { k: "func" }>;
    const entryTypes: Type[] = type === "xdp" ? ["ptr.ctx"] : ["ptr.mem", "i64"];
    if (ft.params.length > entryTypes.length) this.error("c-type", f.loc, [`an ${type} program takes ${entryTypes.length === 1 ? "one parameter (struct xdp_md *)" : "two parameters (memory, length)"}`]);
    this.subprograms = new Map();
    const funcs = [this.lowerFunction(sym.name, f, ft, entryTypes)];
    // Subprograms (noinline functions) this program calls, and those they call, once each.
    for (let pending = [...this.subprograms.values()].filter((x) => !x.func); pending.length; pending = [...this.subprograms.values()].filter((x) => !x.func)) {
      for (const p of pending) {
        p.func = { name: p.sym.name, blocks: [] }; // placeholder: a recursive call does not queue it again
        const pt = p.sym.type as Extract<CType, { k: "func" }>;
        p.func = this.lowerFunction(p.sym.name, p.sym.def!, pt, pt.params.map(() => "i64"));
      }
    }
    funcs.push(...[...this.subprograms.values()].map((x) => x.func!));
    return { name: sym.name, section, module: { type, maps: this.maps, funcs } };
  }

  /** Subprograms of the program being lowered, by name (bpf-to-bpf calls). */
  private subprograms = new Map<string, { sym: Extract<Sym, { k: "func" }>; func?: Func }>();

  /** One IR function: parameters stored to their slots, the body, `return` to one block. */
  private lowerFunction(name: string, f: FunctionDef, ft: Extract<CType, { k: "func" }>, entryTypes: readonly Type[]): Func {
    // First pass: how many bytes the aggregates take; second pass: the function with its
    // scalars placed below them.
    const aggregates = Math.ceil(this.lowerFunctionOnce(name, f, ft, entryTypes, 0).aggregateSize / 8) * 8;
    return this.lowerFunctionOnce(name, f, ft, entryTypes, aggregates).func;
  }

  private lowerFunctionOnce(name: string, f: FunctionDef, ft: Extract<CType, { k: "func" }>, entryTypes: readonly Type[], scalarBase: number): { func: Func; aggregateSize: number } {
    const saved = {
      fb: this.fb, frame: this.frame, frameSize: this.frameSize, aggregateSize: this.aggregateSize, scalarBase: this.scalarBase, labels: this.labels, loop: this.loop, ret: this.ret,
      scope: this.scope, switchCases: this.switchCases, inlineDepth: this.inlineDepth,
    };
    this.fb = new FuncBuilder(name, entryTypes);
    this.frame = undefined;
    this.frameSize = 0;
    this.aggregateSize = 0;
    this.scalarBase = scalarBase;
    this.labels = new Map();
    this.loop = {};
    this.switchCases = undefined;
    this.inlineDepth = 0;
    this.scope = this.global;
    try {
      const retBlock = this.fb.newBlock("return", ["i64"]);
      this.ret = { block: retBlock.name, type: ft.ret };
      this.withScope(() => {
        const fparams = f.declarator.derivations.at(-1);
        const names = fparams?.k === "func" ? fparams.params.map((p) => p.declarator.name) : [];
        ft.params.forEach((pt, i) => {
          const slot = this.local(names[i] ?? `arg${i}`, pt, f.loc);
          const param = this.fb.entryParams[i];
          this.store({ k: "lv", base: this.frameArg(), region: "stack", off: slot, t: pt }, param ? this.convert({ k: "rv", v: { kind: "value", id: param.id }, t: pt.k === "ptr" ? pt : INT_TYPES.ulong }, pt, f.loc).v : imm(0), f.loc);
        });
        this.stmt(f.body);
      });
      if (!this.fb.terminated) this.fb.br(retBlock.name, [imm(0)]);
      this.fb.switchTo(retBlock.name);
      this.fb.terminate({ op: "ret", value: retBlock.params[0]! });
      return { func: this.fb.finish(), aggregateSize: this.aggregateSize };
    } finally {
      Object.assign(this, saved);
    }
  }

  /** A call to a noinline function: a bpf-to-bpf call (at most 5 arguments, in registers). */
  private subprogramCall(s: Extract<Sym, { k: "func" }>, e: Extract<Expr, { k: "call" }>): Val {
    const ft = s.type as Extract<CType, { k: "func" }>;
    if (e.args.length !== ft.params.length) this.error("c-type", e.loc, [`'${s.name}' takes ${ft.params.length} arguments, not ${e.args.length}`]);
    if (ft.params.length > 5) this.error("c-unsupported", e.loc, [`a call of '${s.name}' with more than 5 arguments (BPF passes them in r1-r5)`]);
    if (ft.params.some((p) => !isScalar(p)) || !(isScalar(ft.ret) || ft.ret.k === "void")) this.error("c-unsupported", e.loc, [`'${s.name}' takes or returns a struct by value: a noinline function may pass only scalars and pointers`]);
    const args = e.args.map((a, i) => {
      const v = this.convert(this.rvalue(this.expr(a), a.loc), ft.params[i]!, a.loc).v;
      return v.kind === "imm" ? this.fb.emit("const", [v]) : v;
    });
    if (!this.subprograms.has(s.name)) this.subprograms.set(s.name, { sym: s });
    const r = this.fb.emit("call", [sym(s.name), ...args]);
    if (ft.ret.k === "void") return { k: "rv", v: imm(0), t: VOID };
    return this.convert({ k: "rv", v: r, t: ft.ret.k === "ptr" ? ft.ret : INT_TYPES.ulong }, ft.ret, e.loc);
  }

  private withScope<T>(body: () => T): T {
    const saved = this.scope;
    this.scope = { names: new Map(), tags: new Map(), parent: saved };
    try {
      return body();
    } finally {
      this.scope = saved;
    }
  }

  private frameArg(): Arg {
    this.frame ??= this.fb.emitInEntry("frame", [], "ptr.stack");
    return this.frame;
  }

  /** A new stack slot for a local (8-byte aligned at least to its type); its frame offset. */
  private allocSlot(t: CType, loc: Location): number {
    const size = sizeOf(t);
    if (size === undefined) this.error("c-type", loc, [`a local of incomplete type ${describe(t)}`]);
    const align = Math.max(alignOf(t), size >= 8 ? 8 : 1, 1);
    const fail = () => this.error("c-type", loc, [`the locals need more than the ${MAX_STACK} bytes of BPF stack`]);
    if (t.k === "array" || t.k === "record") {
      this.aggregateSize = Math.ceil((this.aggregateSize + size) / align) * align;
      if (this.aggregateSize > MAX_STACK) fail();
      return -this.aggregateSize;
    }
    this.frameSize = Math.ceil((this.scalarBase + this.frameSize + size) / align) * align - this.scalarBase;
    if (this.scalarBase + this.frameSize > MAX_STACK) fail();
    return -(this.scalarBase + this.frameSize);
  }

  private local(name: string, t: CType, loc: Location): number {
    const off = this.allocSlot(t, loc);
    this.scope.names.set(name, { k: "local", type: t, off });
    return off;
  }

  // ---- Statements ----

  private stmt(s: Stmt): void {
    switch (s.k) {
      case "compound":
        return this.withScope(() => {
          for (const item of s.items) {
            if (item.k === "decl") this.localDecl(item);
            else this.stmt(item);
          }
        });
      case "expr":
        if (s.expr) this.exprDiscard(s.expr);
        return;
      case "if": {
        const t = this.fb.newBlock("then");
        const e = s.else ? this.fb.newBlock("else") : undefined;
        const join = this.fb.newBlock("endif");
        this.cond(s.cond, t.name, (e ?? join).name);
        this.fb.switchTo(t.name);
        this.stmt(s.then);
        if (!this.fb.terminated) this.fb.br(join.name);
        if (e) {
          this.fb.switchTo(e.name);
          this.stmt(s.else!);
          if (!this.fb.terminated) this.fb.br(join.name);
        }
        this.fb.switchTo(join.name);
        return;
      }
      case "while":
      case "do":
      case "for":
        return this.loopStmt(s);
      case "switch":
        return this.switchStmt(s);
      case "case":
      case "default": {
        const cases = this.switchCases;
        if (!cases) this.error("c-type", s.loc, [`'${s.k}' outside a switch`]);
        const b = this.fb.newBlock(s.k);
        if (s.k === "case") {
          const lo = normalize(this.constInt(s.value), cases.type);
          const hi = s.last ? normalize(this.constInt(s.last), cases.type) : lo;
          cases.values.push({ lo, hi, block: b.name });
        } else cases.defaultBlock = b.name;
        if (!this.fb.terminated) this.fb.br(b.name);
        this.fb.switchTo(b.name);
        return this.stmt(s.body);
      }
      case "label": {
        const b = this.labelBlock(s.label);
        if (!this.fb.terminated) this.fb.br(b);
        this.fb.switchTo(b);
        return this.stmt(s.body);
      }
      case "goto":
        return this.fb.br(this.labelBlock(s.label));
      case "break":
        if (!this.loop.breakTo) this.error("c-type", s.loc, ["'break' outside a loop or switch"]);
        return this.fb.br(this.loop.breakTo);
      case "continue":
        if (!this.loop.continueTo) this.error("c-type", s.loc, ["'continue' outside a loop"]);
        return this.fb.br(this.loop.continueTo);
      case "return": {
        const r = this.ret!;
        let v: Arg = imm(0);
        if (s.expr) {
          const x = this.expr(s.expr);
          if (r.type.k !== "void") v = this.convert(this.rvalue(x, s.loc), r.type, s.expr.loc).v;
        }
        return this.fb.br(r.block, r.type.k === "void" && !s.expr ? [imm(0)] : [v]);
      }
      case "asm":
        return this.error("c-unsupported", s.loc, ["inline assembly"]);
    }
  }

  private labelBlock(label: string): string {
    let b = this.labels.get(label);
    if (!b) {
      b = this.fb.newBlock(`label_${label}_`).name;
      this.labels.set(label, b);
    }
    return b;
  }

  private localDecl(d: Declaration): void {
    if (d.spec.storage.includes("_Static_assert")) {
      return this.staticAssert(d);
    }
    const base = this.specType(d.spec);
    for (const id of d.declarators) {
      const { name, type } = this.declarator(id.declarator, base);
      if (name === undefined) continue;
      const loc = id.declarator.loc;
      if (d.spec.storage.includes("typedef")) {
        this.scope.names.set(name, { k: "typedef", type: this.typedefType(type, [...d.spec.attributes, ...id.attributes, ...id.declarator.attributes]) });
        continue;
      }
      if (type.k === "func" || d.spec.storage.includes("extern")) {
        this.error("c-unsupported", loc, ["a function or extern declaration inside a function"]);
      }
      if (d.spec.storage.includes("static")) this.error("c-unsupported", loc, [`static local variable '${name}' (make it a global)`]);
      const t = completeArray(type, id.init);
      const off = this.local(name, t, loc);
      const lv: Val = { k: "lv", base: this.frameArg(), region: "stack", off, t };
      if (id.init) this.initialize(lv, id.init, loc);
    }
  }

  /** Stores an initialiser into an object; aggregates are zeroed first (C11 §6.7.9p21). */
  private initialize(lv: Extract<Val, { k: "lv" }>, init: Initializer, loc: Location): void {
    if (init.k === "expr" && !(lv.t.k === "array" && init.expr.k === "string")) return void this.assign(lv, this.expr(init.expr), init.expr.loc);
    const size = sizeOf(lv.t) ?? 0;
    // Bytes no initialiser writes (gaps, padding, the tail of a string) are zeroed; the
    // others are written once, by their initialiser.
    const covered = new Array<boolean>(size).fill(false);
    const cover = (off: number, n: number) => {
      for (let i = off; i < Math.min(size, off + n); i++) covered[i] = true;
    };
    if (init.k === "expr" && init.expr.k === "string") cover(0, init.expr.bytes.length);
    else if (init.k === "list") {
      this.walkInit(lv.t, init, loc, (t, e, off, bits) => {
        if (!bits && e.k === "expr" && !(t.k === "array" && e.expr.k === "string")) cover(off, sizeOf(t) ?? 0);
        else if (!bits && e.k === "expr" && e.expr.k === "string") cover(off, e.expr.bytes.length);
      });
    }
    this.zero(lv.base, lv.region, lv.off, covered);
    if (init.k === "expr" && init.expr.k === "string") {
      const bytes = init.expr.bytes;
      for (let i = 0; i < Math.min(bytes.length, size); i++) this.fb.effect("store.u8", [word(lv.region), lv.base, imm(lv.off + i), imm(bytes[i]!)]);
      return;
    }
    if (init.k !== "list") return;
    this.walkInit(lv.t, init, loc, (t, e, off, bits) => {
      const target: Extract<Val, { k: "lv" }> = { ...lv, off: lv.off + off, t, bits };
      if (e.k === "expr" && !(t.k === "array" && e.expr.k === "string")) this.assign(target, this.expr(e.expr), e.expr.loc);
      else this.initializeNested(target, e, loc);
    });
  }

  /** A nested aggregate's initialiser: its enclosing object's gaps are already zeroed. */
  private initializeNested(lv: Extract<Val, { k: "lv" }>, init: Initializer, loc: Location): void {
    if (init.k === "expr" && init.expr.k === "string") {
      const bytes = init.expr.bytes;
      for (let i = 0; i < Math.min(bytes.length, sizeOf(lv.t)!); i++) this.fb.effect("store.u8", [word(lv.region), lv.base, imm(lv.off + i), imm(bytes[i]!)]);
      return;
    }
    if (init.k !== "list") return this.initialize(lv, init, loc);
    this.walkInit(lv.t, init, loc, (t, e, off, bits) => {
      const target: Extract<Val, { k: "lv" }> = { ...lv, off: lv.off + off, t, bits };
      if (e.k === "expr" && !(t.k === "array" && e.expr.k === "string")) this.assign(target, this.expr(e.expr), e.expr.loc);
      else this.initializeNested(target, e, loc);
    });
  }

  /** Zero stores over the bytes not covered, in the widest aligned chunks (stack offsets are known). */
  private zero(base: Arg, region: Region, off: number, covered: readonly boolean[]): void {
    let p = 0;
    while (p < covered.length) {
      if (covered[p]) {
        p++;
        continue;
      }
      let end = p;
      while (end < covered.length && !covered[end]) end++;
      while (p < end) {
        const n = [8, 4, 2, 1].find((k) => k <= end - p && (region !== "stack" || (((off + p) % k) + k) % k === 0))!;
        this.fb.effect(`store.u${n * 8}`, [word(region), base, imm(off + p), imm(0)]);
        p += n;
      }
    }
  }

  private loopStmt(s: Extract<Stmt, { k: "while" | "do" | "for" }>): void {
    this.withScope(() => {
      if (s.k === "for" && s.init) {
        if ("spec" in s.init) this.localDecl(s.init);
        else this.exprDiscard(s.init);
      }
      if (s.pragma && /^(unroll|GCC\s+unroll|clang\s+loop\s+unroll)/.test(s.pragma) && s.k === "for") {
        const trips = this.tripCount(s);
        if (trips !== undefined) return this.unrolled(s, trips);
      }
      const head = this.fb.newBlock("loop");
      const body = this.fb.newBlock("body");
      const step = this.fb.newBlock("step");
      const exit = this.fb.newBlock("endloop");
      this.fb.br(s.k === "do" ? body.name : head.name);
      this.fb.switchTo(head.name);
      if (s.cond) this.cond(s.cond, body.name, exit.name);
      else this.fb.br(body.name);
      this.fb.switchTo(body.name);
      const saved = this.loop;
      this.loop = { breakTo: exit.name, continueTo: step.name };
      this.stmt(s.body);
      this.loop = saved;
      if (!this.fb.terminated) this.fb.br(step.name);
      this.fb.switchTo(step.name);
      if (s.k === "for" && s.step) this.exprDiscard(s.step);
      this.fb.br(head.name);
      this.fb.switchTo(exit.name);
    });
  }

  /**
   * `#pragma unroll` on `for (i = A; i < B; i += C)` (any of <, <=, >, >=, !=; ++, --,
   * +=, -=) whose body does not assign i: the trip count, from the loop's own arithmetic.
   */
  private tripCount(s: Extract<Stmt, { k: "for" }>): number | undefined {
    const v = s.cond?.k === "binary" && s.cond.left.k === "ident" ? s.cond.left.name : undefined;
    if (!v || !s.cond || s.cond.k !== "binary" || !s.step) return undefined;
    const sym = this.lookup(v);
    if (sym?.k !== "local" || !isInteger(sym.type)) return undefined;
    const limit = this.tryConst(s.cond.right);
    let start: bigint | undefined;
    if (s.init && "spec" in s.init) {
      const d = s.init.declarators.find((x) => x.declarator.name === v);
      start = d?.init?.k === "expr" ? this.tryConst(d.init.expr)?.value : undefined;
    } else if (s.init && s.init.k === "assign" && s.init.op === "=" && s.init.left.k === "ident" && s.init.left.name === v) start = this.tryConst(s.init.right)?.value;
    const st = s.step;
    const delta = (st.k === "postfix" || st.k === "unary") && st.operand.k === "ident" && st.operand.name === v ? (st.op.startsWith("++") ? 1n : st.op.startsWith("--") ? -1n : undefined) : st.k === "assign" && st.left.k === "ident" && st.left.name === v && (st.op === "+=" || st.op === "-=") ? (this.tryConst(st.right)?.value ?? undefined) : undefined;
    const d = st.k === "assign" && st.op === "-=" && delta !== undefined ? -delta : delta;
    if (start === undefined || !limit || d === undefined || d === 0n || assigns(s.body, v)) return undefined;
    const holds = (i: bigint) => foldBinary((s.cond as Extract<Expr, { k: "binary" }>).op, { value: i, type: sym.type }, { value: limit.value, type: limit.type })?.value !== 0n;
    let i = normalize(start, sym.type);
    let n = 0;
    while (holds(i)) {
      if (++n > MAX_UNROLL) return undefined;
      i = normalize(i + d, sym.type);
    }
    return n;
  }

  /** The loop body `trips` times, each followed by the step; break leaves, continue steps. */
  private unrolled(s: Extract<Stmt, { k: "for" }>, trips: number): void {
    const exit = this.fb.newBlock("endloop");
    for (let k = 0; k < trips; k++) {
      const step = this.fb.newBlock("step");
      const saved = this.loop;
      this.loop = { breakTo: exit.name, continueTo: step.name };
      this.stmt(s.body);
      this.loop = saved;
      if (!this.fb.terminated) this.fb.br(step.name);
      this.fb.switchTo(step.name);
      if (s.step) this.exprDiscard(s.step);
    }
    this.fb.br(exit.name);
    this.fb.switchTo(exit.name);
  }

  private switchStmt(s: Extract<Stmt, { k: "switch" }>): void {
    const c = this.rvalue(this.expr(s.cond), s.loc);
    if (!isInteger(c.t)) this.error("c-type", s.cond.loc, ["a switch needs an integer"]);
    const t = promote(c.t);
    const v = this.convert(c, t, s.loc).v;
    const dispatch = this.fb.newBlock("switch");
    const exit = this.fb.newBlock("endswitch");
    const saved = { cases: this.switchCases, loop: this.loop };
    const cases = { values: [] as { lo: bigint; hi: bigint; block: string }[], defaultBlock: undefined as string | undefined, type: t };
    this.switchCases = cases;
    this.loop = { ...this.loop, breakTo: exit.name };
    this.fb.br(dispatch.name);
    // The body first (it names the case blocks), then the dispatch chain.
    const bodyStart = this.fb.newBlock("switchbody");
    this.fb.switchTo(bodyStart.name);
    this.stmt(s.body);
    if (!this.fb.terminated) this.fb.br(exit.name);
    this.switchCases = saved.cases;
    this.loop = saved.loop;
    this.fb.switchTo(dispatch.name);
    const cmp = t.signed ? "s" : "u";
    for (const c2 of cases.values) {
      const next = this.fb.newBlock("case_test");
      if (c2.lo === c2.hi) this.fb.brIf(this.fb.emit("icmp.eq", [v, imm(c2.lo)], "i1"), c2.block, next.name);
      else {
        const inRange = this.fb.newBlock("case_range");
        this.fb.brIf(this.fb.emit(`icmp.${cmp}ge`, [v, imm(c2.lo)], "i1"), inRange.name, next.name);
        this.fb.switchTo(inRange.name);
        this.fb.brIf(this.fb.emit(`icmp.${cmp}le`, [v, imm(c2.hi)], "i1"), c2.block, next.name);
      }
      this.fb.switchTo(next.name);
    }
    this.fb.br(cases.defaultBlock ?? exit.name);
    this.fb.switchTo(exit.name);
  }

  // ---- Expressions ----

  /** An expression whose value is not used (statement, for-step): atomics need no fetch. */
  private exprDiscard(e: Expr): void {
    if (e.k === "call" && e.callee.k === "ident" && /^__sync_fetch_and_(add|or|and|xor)$|^__atomic_fetch_(add|or|and|xor)$/.test(e.callee.name) && !this.lookup(e.callee.name)) {
      return void this.atomic(e, true);
    }
    if (e.k === "cast" && this.typeName(e.type).k === "void") return this.exprDiscard(e.operand);
    if (e.k === "comma") {
      this.exprDiscard(e.left);
      return this.exprDiscard(e.right);
    }
    this.expr(e);
  }

  /** Branches to `t` when e is non-zero, else to `f` (&&, || and ! short-circuit). */
  private cond(e: Expr, t: string, f: string): void {
    if (e.k === "binary" && (e.op === "&&" || e.op === "||")) {
      const mid = this.fb.newBlock(e.op === "&&" ? "and" : "or");
      if (e.op === "&&") this.cond(e.left, mid.name, f);
      else this.cond(e.left, t, mid.name);
      this.fb.switchTo(mid.name);
      return this.cond(e.right, t, f);
    }
    if (e.k === "unary" && e.op === "!") return this.cond(e.operand, f, t);
    const c = this.tryConst(e);
    if (c) return this.fb.br(c.value !== 0n ? t : f);
    if (e.k === "binary" && ["==", "!=", "<", ">", "<=", ">="].includes(e.op)) {
      this.fb.brIf(this.compare(e), t, f);
      return;
    }
    const v = this.rvalue(this.expr(e), e.loc);
    if (!isScalar(v.t)) this.error("c-type", e.loc, [`a condition needs a scalar, not ${describe(v.t)}`]);
    this.fb.brIf(this.fb.emit("icmp.ne", [v.v, imm(0)], "i1"), t, f);
  }

  /** A comparison as an i1. */
  private compare(e: Extract<Expr, { k: "binary" }>): Arg {
    const lv = this.expr(e.left);
    const rv = this.expr(e.right);
    if (lv.t.k === "record" || rv.t.k === "record") this.error("c-type", e.loc, [`cannot compare ${describe(lv.t)} with ${describe(rv.t)}`]);
    const l = this.rvalue(lv, e.loc);
    const r = this.rvalue(rv, e.loc);
    let signed = false;
    let a = l.v;
    let b = r.v;
    if (isInteger(l.t) && isInteger(r.t)) {
      const t = usualArithmetic(l.t, r.t);
      a = this.convert(l, t, e.loc).v;
      b = this.convert(r, t, e.loc).v;
      signed = t.signed;
    } else if (!(isScalar(l.t) && isScalar(r.t))) this.error("c-type", e.loc, [`cannot compare ${describe(l.t)} with ${describe(r.t)}`]);
    const cc: Record<string, string> = { "==": "eq", "!=": "ne", "<": signed ? "slt" : "ult", ">": signed ? "sgt" : "ugt", "<=": signed ? "sle" : "ule", ">=": signed ? "sge" : "uge" };
    return this.fb.emit(`icmp.${cc[e.op]}`, [a, b], "i1");
  }

  /** A condition as an int 0 or 1. */
  private condValue(e: Expr): Val {
    const c = this.tryConst(e);
    if (c) return { k: "rv", v: imm(c.value !== 0n ? 1 : 0), t: INT_TYPES.int };
    const t = this.fb.newBlock("true");
    const f = this.fb.newBlock("false");
    const join = this.fb.newBlock("bool", ["i64"]);
    this.cond(e, t.name, f.name);
    this.fb.switchTo(t.name);
    this.fb.br(join.name, [imm(1)]);
    this.fb.switchTo(f.name);
    this.fb.br(join.name, [imm(0)]);
    this.fb.switchTo(join.name);
    return { k: "rv", v: join.params[0]!, t: INT_TYPES.int, bits: 1 };
  }

  private expr(e: Expr): Val {
    switch (e.k) {
      case "int":
      case "char": {
        const c = this.tryConst(e)!;
        return { k: "rv", v: imm(c.value), t: c.type };
      }
      case "float":
        return this.error("c-unsupported", e.loc, ["floating point"]);
      case "string":
        return this.error("c-unsupported", e.loc, ["a string literal outside an initialiser"]);
      case "ident":
        return this.identifier(e);
      case "sizeof":
      case "alignof":
      case "offsetof":
      case "typescompat": {
        const c = this.tryConst(e);
        if (!c) this.error("c-type", e.loc, [`${e.k} of an incomplete type`]);
        return { k: "rv", v: imm(c.value), t: c.type };
      }
      case "unary":
        return this.unary(e);
      case "postfix": {
        const lv = this.lvalue(this.expr(e.operand), e.loc, `${e.op}`);
        const old = this.load(lv, e.loc);
        this.assign(lv, this.addOne(old, e.op === "++" ? 1 : -1, e.loc), e.loc);
        return old;
      }
      case "binary":
        return this.binary(e);
      case "assign":
        return this.assignment(e);
      case "cond":
        return this.conditional(e);
      case "cast":
        return this.cast(e);
      case "call":
        return this.call(e);
      case "index": {
        const b = this.rvalue(this.expr(e.base), e.loc);
        const i = this.rvalue(this.expr(e.index), e.loc);
        const [p, n] = b.t.k === "ptr" ? [b, i] : [i, b];
        if (p.t.k !== "ptr") this.error("c-type", e.loc, ["subscript of something that is neither an array nor a pointer"]);
        return this.deref(this.pointerAdd(p, n, 1, e.loc), e.loc);
      }
      case "member": {
        let base = this.expr(e.base);
        if (e.arrow) {
          const p = this.rvalue(base, e.loc);
          if (p.t.k !== "ptr") this.error("c-type", e.loc, [`'->' needs a pointer to a struct, not ${describe(p.t)}`]);
          base = this.deref(p, e.loc);
        }
        if (base.k !== "lv") {
          if (base.k === "rv" && base.t.k === "record") this.error("c-unsupported", e.loc, ["a member of a struct value that is not in memory"]);
          this.error("c-type", e.loc, [`'.${e.name}' needs a struct or union`]);
        }
        if (base.t.k !== "record") this.error("c-type", e.loc, [`${describe(base.t)} has no members ('${e.name}')`]);
        if (!base.t.rec.fields) this.error("c-type", e.loc, [`${describe(base.t)} is incomplete`]);
        const f = findField(base.t.rec, e.name);
        if (!f) this.error("c-type", e.loc, [`${describe(base.t)} has no member named '${e.name}'`]);
        // A bit-field: its storage unit's offset, and its bit position within that unit.
        const bits = f.field.bitWidth !== undefined ? { offset: f.field.bitOffset! - f.field.offset * 8, width: f.field.bitWidth } : undefined;
        return { ...base, off: base.off + f.offset, t: f.field.type, bits };
      }
      case "comma":
        this.exprDiscard(e.left);
        return this.expr(e.right);
      case "compound": {
        const t = this.typeName(e.type);
        const off = this.allocSlot(t, e.loc);
        const lv: Extract<Val, { k: "lv" }> = { k: "lv", base: this.frameArg(), region: "stack", off, t };
        this.initialize(lv, e.init, e.loc);
        return lv;
      }
      case "stmtexpr":
        return this.statementExpression(e);
      case "labeladdr":
        return this.error("c-unsupported", e.loc, ["the address of a label"]);
    }
  }

  /** GNU `({ ...; x; })`: the last expression statement is the value. */
  private statementExpression(e: Extract<Expr, { k: "stmtexpr" }>): Val {
    if (e.body.k !== "compound") return this.error("c-type", e.loc, ["a statement expression needs a block"]);
    const items = e.body.items;
    const last = items.at(-1);
    return this.withScope(() => {
      for (const item of items.slice(0, last && last.k === "expr" ? -1 : undefined)) {
        if (item.k === "decl") this.localDecl(item);
        else this.stmt(item);
      }
      if (last && last.k === "expr" && last.expr) return this.expr(last.expr);
      return { k: "rv", v: imm(0), t: VOID } as Val;
    });
  }

  private identifier(e: Extract<Expr, { k: "ident" }>): Val {
    const s = this.lookup(e.name);
    if (!s) {
      if (e.name.startsWith("__builtin_") || e.name.startsWith("__sync_") || e.name.startsWith("__atomic_")) this.error("c-unsupported", e.loc, [`'${e.name}' as a value (call it)`]);
      return this.error("c-undeclared", e.loc, [e.name]);
    }
    switch (s.k) {
      case "typedef":
        return this.error("c-type", e.loc, [`'${e.name}' is a type, not a value`]);
      case "enumconst":
        return { k: "rv", v: imm(s.value), t: s.type };
      case "local":
        return { k: "lv", base: this.frameArg(), region: "stack", off: s.off, t: s.type };
      case "func":
        return { k: "func", sym: s, t: s.type };
      case "global": {
        if (this.helperId(s) !== undefined) return { k: "func", sym: s, t: s.type };
        if (this.maps.some((m) => m.name === s.name)) return { k: "map", name: s.name, t: s.type };
        const g = this.globalsByName.get(s.name);
        if (!g) return this.error("c-unsupported", e.loc, [`'${e.name}' (an extern variable)`]);
        const base = this.fb.emit("global.addr", [sym(g.section), imm(g.offset)], "ptr.global");
        return { k: "lv", base, region: "global", off: 0, t: s.type };
      }
    }
  }

  /** The value of an expression: loads lvalues; arrays decay to pointers (C11 §6.3.2.1). */
  private rvalue(v: Val, loc: Location): Extract<Val, { k: "rv" }> {
    if (v.k === "rv") return v;
    if (v.k === "map") return this.error("c-type", loc, ["a map is used through its address (&map) in helper calls"]);
    if (v.k === "func") return { k: "rv", v: imm(0), t: ptrTo(v.t) };
    if (v.t.k === "array") return { k: "rv", v: this.address(v), t: ptrTo(v.t.of) };
    if (v.t.k === "func") return this.error("c-type", loc, ["a function used as a value"]);
    return this.load(v, loc);
  }

  private address(lv: Extract<Val, { k: "lv" }>): Arg {
    if (lv.off === 0) return lv.base;
    return this.fb.emit("ptradd", [lv.base, imm(lv.off)]);
  }

  private load(lv: Extract<Val, { k: "lv" }>, loc: Location): Extract<Val, { k: "rv" }> {
    if (lv.t.k === "record") return this.error("c-unsupported", loc, [`a ${describe(lv.t)} value outside an assignment`]);
    if (!isScalar(lv.t)) return this.error("c-type", loc, [`cannot read a value of type ${describe(lv.t)}`]);
    const it = lv.t.k === "ptr" ? INT_TYPES.ulong : intOf(lv.t);
    if (it.size > 8) this.error("c-unsupported", loc, ["128-bit integers"]);
    const size = it.size;
    const raw = this.fb.emit(`load.u${size * 8}`, [word(lv.region), lv.base, imm(lv.off)]);
    if (lv.bits) {
      // A bit-field: shift its bits down from their storage unit, then mask or sign-extend.
      if (it.signed) {
        // Its top bit to bit 63, then an arithmetic shift down: sign-extended.
        const up = this.fb.emit("shl", [raw, imm(64 - lv.bits.offset - lv.bits.width)]);
        return { k: "rv", v: this.fb.emit("ashr", [up, imm(64 - lv.bits.width)]), t: lv.bits.width <= 32 ? INT_TYPES.int : it };
      }
      const shifted = lv.bits.offset ? this.fb.emit("lshr", [raw, imm(lv.bits.offset)]) : raw;
      return { k: "rv", v: this.fb.emit("and", [shifted, imm((1n << BigInt(lv.bits.width)) - 1n)]), t: lv.bits.width < 32 ? INT_TYPES.int : it, bits: lv.bits.width };
    }
    if (lv.t.k !== "ptr" && it.signed && size < 8) return { k: "rv", v: this.fb.emit(`sext${size * 8}`, [raw]), t: lv.t };
    return { k: "rv", v: raw, t: lv.t };
  }

  private store(lv: Extract<Val, { k: "lv" }>, v: Arg, loc: Location): void {
    const size = lv.t.k === "ptr" ? 8 : isInteger(lv.t) ? intOf(lv.t).size : undefined;
    if (size === undefined || size > 8) this.error("c-type", loc, [`cannot store a ${describe(lv.t)}`]);
    if (lv.bits) {
      const unitBits = size * 8;
      const mask = ((1n << BigInt(lv.bits.width)) - 1n) << BigInt(lv.bits.offset);
      const old = this.fb.emit(`load.u${unitBits}`, [word(lv.region), lv.base, imm(lv.off)]);
      const kept = this.fb.emit("and", [old, imm(BigInt.asIntN(64, ~mask & ((1n << BigInt(unitBits)) - 1n)))]);
      const shifted = this.fb.emit("shl", [this.fb.emit("and", [v, imm((1n << BigInt(lv.bits.width)) - 1n)]), imm(lv.bits.offset)]);
      v = this.fb.emit("or", [kept, shifted]);
    }
    this.fb.effect(`store.u${size * 8}`, [word(lv.region), lv.base, imm(lv.off), v]);
  }

  private lvalue(v: Val, loc: Location, what: string): Extract<Val, { k: "lv" }> {
    if (v.k !== "lv") this.error("c-lvalue", loc, [what]);
    return v;
  }

  /** *p: an lvalue at the pointer (region `any` until type inference). */
  private deref(p: Extract<Val, { k: "rv" }>, loc: Location): Extract<Val, { k: "lv" }> {
    if (p.t.k !== "ptr") return this.error("c-type", loc, [`cannot dereference ${describe(p.t)}`]);
    if (p.t.to.k === "void") this.error("c-type", loc, ["cannot dereference a void *"]);
    let base = p.v;
    if (base.kind === "imm") base = this.fb.emit("const", [base]);
    return { k: "lv", base, region: "any", off: 0, t: p.t.to };
  }

  /** Simple assignment, with the conversion to the target's type (C11 §6.5.16.1). */
  private assign(lv: Extract<Val, { k: "lv" }>, value: Val, loc: Location): Val {
    if (lv.t.k === "record" || lv.t.k === "array") {
      if (value.k !== "lv" || !sameType(value.t, lv.t)) this.error("c-type", loc, [`cannot assign ${describe(value.t)} to ${describe(lv.t)}`]);
      this.copy(lv, value, sizeOf(lv.t)!, Math.min(alignOf(lv.t), alignOf(value.t)));
      return lv;
    }
    const r = this.convert(this.rvalue(value, loc), lv.t, loc);
    this.store(lv, r.v, loc);
    return r;
  }

  /** Byte copy between two memory objects, in the widest chunks their alignment allows. */
  private copy(dst: Extract<Val, { k: "lv" }>, src: Extract<Val, { k: "lv" }>, size: number, align: number): void {
    let at = 0;
    for (const n of [8, 4, 2, 1]) {
      if (n > align) continue;
      while (size - at >= n) {
        const v = this.fb.emit(`load.u${n * 8}`, [word(src.region), src.base, imm(src.off + at)]);
        this.fb.effect(`store.u${n * 8}`, [word(dst.region), dst.base, imm(dst.off + at), v]);
        at += n;
      }
    }
  }

  private assignment(e: Extract<Expr, { k: "assign" }>): Val {
    const lv = this.lvalue(this.expr(e.left), e.loc, `assignment to ${describeExpr(e.left)}`);
    if (e.op === "=") return this.assign(lv, this.expr(e.right), e.loc);
    const op = e.op.slice(0, -1);
    const result = this.arith(op, this.load(lv, e.loc), this.rvalue(this.expr(e.right), e.loc), e.loc);
    return this.assign(lv, result, e.loc);
  }

  private addOne(v: Extract<Val, { k: "rv" }>, d: number, loc: Location): Extract<Val, { k: "rv" }> {
    return this.arith("+", v, { k: "rv", v: imm(d), t: INT_TYPES.int }, loc);
  }

  private unary(e: Extract<Expr, { k: "unary" }>): Val {
    switch (e.op) {
      case "&": {
        const v = this.expr(e.operand);
        if (v.k === "map") return { k: "map", name: v.name, t: ptrTo(v.t) };
        if (v.k === "func") return { k: "func", sym: v.sym, t: v.t };
        const lv = this.lvalue(v, e.loc, "'&'");
        if (lv.bits) this.error("c-type", e.loc, ["cannot take the address of a bit-field"]);
        return { k: "rv", v: this.address(lv), t: ptrTo(lv.t) };
      }
      case "*": {
        const v = this.expr(e.operand);
        if (v.k === "func") return v;
        return this.deref(this.rvalue(v, e.loc), e.loc);
      }
      case "++pre":
      case "--pre": {
        const lv = this.lvalue(this.expr(e.operand), e.loc, e.op.slice(0, 2));
        return this.assign(lv, this.addOne(this.load(lv, e.loc), e.op === "++pre" ? 1 : -1, e.loc), e.loc);
      }
      case "!":
        return this.condValue(e);
    }
    const v = this.rvalue(this.expr(e.operand), e.loc);
    if (!isInteger(v.t)) this.error("c-type", e.loc, [`'${e.op}' needs an integer, not ${describe(v.t)}`]);
    const t = promote(v.t);
    const x = this.convert(v, t, e.loc);
    if (e.op === "+") return x;
    if (e.op === "-") return this.arith("-", { k: "rv", v: imm(0), t }, x, e.loc);
    return this.normalized(x.v.kind === "imm" ? imm(normalize(~x.v.value, t)) : this.fb.emit("xor", [x.v, imm(-1)]), t);
  }

  private binary(e: Extract<Expr, { k: "binary" }>): Val {
    const c = this.tryConst(e);
    if (c) return { k: "rv", v: imm(c.value), t: c.type };
    if (e.op === "&&" || e.op === "||" || ["==", "!=", "<", ">", "<=", ">="].includes(e.op)) return this.condValue(e);
    return this.arith(e.op, this.rvalue(this.expr(e.left), e.loc), this.rvalue(this.expr(e.right), e.loc), e.loc);
  }

  /** An arithmetic operator on two values: pointer arithmetic, or C's conversions then the op. */
  private arith(op: string, l: Extract<Val, { k: "rv" }>, r: Extract<Val, { k: "rv" }>, loc: Location): Extract<Val, { k: "rv" }> {
    if (l.t.k === "ptr" || r.t.k === "ptr") {
      if (op === "+" && l.t.k === "ptr" && isInteger(r.t)) return this.pointerAdd(l, r, 1, loc);
      if (op === "+" && r.t.k === "ptr" && isInteger(l.t)) return this.pointerAdd(r, l, 1, loc);
      if (op === "-" && l.t.k === "ptr" && isInteger(r.t)) return this.pointerAdd(l, r, -1, loc);
      if (op === "-" && l.t.k === "ptr" && r.t.k === "ptr") {
        const diff = this.fb.emit("sub", [l.v, r.v]);
        const size = sizeOf(l.t.to) ?? 1;
        if (size === 1) return { k: "rv", v: diff, t: INT_TYPES.long };
        // Exact division (C11 §6.5.6p9: both point into one array): a shift for powers of two.
        if ((size & (size - 1)) === 0) return { k: "rv", v: this.fb.emit("ashr", [diff, imm(Math.log2(size))]), t: INT_TYPES.long };
        return { k: "rv", v: this.fb.emit("sdiv", [diff, imm(size)]), t: INT_TYPES.long };
      }
      return this.error("c-type", loc, [`invalid operands to '${op}' (${describe(l.t)} and ${describe(r.t)})`]);
    }
    if (!isInteger(l.t) || !isInteger(r.t)) return this.error("c-type", loc, [`invalid operands to '${op}' (${describe(l.t)} and ${describe(r.t)})`]);
    // C11 §6.5.7: shifts promote each operand alone; the result has the left one's type.
    const t = op === "<<" || op === ">>" ? promote(l.t) : usualArithmetic(l.t, r.t);
    const a = this.convert(l, t, loc);
    const b = op === "<<" || op === ">>" ? this.convert(r, promote(r.t), loc) : this.convert(r, t, loc);
    if (t.size > 8) this.error("c-unsupported", loc, ["128-bit integers"]);
    if (a.v.kind === "imm" && b.v.kind === "imm") {
      const f = foldBinary(op, { value: a.v.value, type: t }, { value: b.v.value, type: op === "<<" || op === ">>" ? promote(r.t) : t });
      if (f) return { k: "rv", v: imm(f.value), t };
    }
    const width = t.size * 8;
    // When both operands are known small and non-negative and the result fits the type,
    // the 64-bit operation is exact: no 32-bit fix-up, and unsigned division and shifts do
    // for signed types (BPF before v4 has no signed division).
    const ba = bitsOf(a);
    const bb = bitsOf(b);
    const known = resultBits(op, ba, bb, b.v.kind === "imm" ? b.v.value : undefined);
    if (known !== undefined && known <= (t.signed ? width - 1 : width)) {
      const exact: Record<string, string> = { "+": "add", "-": "sub", "*": "mul", "/": "udiv", "%": "urem", "&": "and", "|": "or", "^": "xor", "<<": "shl", ">>": "lshr" };
      return { k: "rv", v: this.fb.emit(exact[op]!, [a.v, b.v]), t, bits: known };
    }
    const w = t.size === 8 ? "" : "32";
    const name: Record<string, string> = {
      "+": "add", "-": "sub", "*": "mul", "/": t.signed ? "sdiv" : "udiv", "%": t.signed ? "srem" : "urem", "&": "and", "|": "or", "^": "xor", "<<": "shl", ">>": t.signed ? "ashr" : "lshr",
    };
    const base = name[op];
    if (!base) return this.error("c-type", loc, [`unknown operator '${op}'`]);
    // Operations whose 64-bit result on normalised inputs is already normalised need no fix-up.
    if (["and", "or", "xor", "lshr", "ashr", "udiv", "sdiv", "srem", "urem"].includes(base)) {
      const v = this.fb.emit(base === "lshr" || base === "udiv" || base === "urem" ? base + w : base, [a.v, b.v]);
      return { k: "rv", v, t, bits: op === "&" ? minBits(ba, bb) : op === ">>" || op === "/" ? ba : undefined };
    }
    const v = this.fb.emit(base + w, [a.v, b.v]);
    return this.normalized(v, t);
  }

  /** A 32-bit op's zero-extended result, sign-extended again for a signed int. */
  private normalized(v: Arg, t: IntType): Extract<Val, { k: "rv" }> {
    if (v.kind === "imm") return { k: "rv", v: imm(normalize(v.value, t)), t };
    if (t.size === 4 && t.signed) return { k: "rv", v: this.fb.emit("sext32", [v]), t };
    if (t.size === 4) return { k: "rv", v: this.fb.emit("zext32", [v]), t };
    return { k: "rv", v, t };
  }

  private pointerAdd(p: Extract<Val, { k: "rv" }>, n: Extract<Val, { k: "rv" }>, sign: 1 | -1, loc: Location): Extract<Val, { k: "rv" }> {
    if (p.t.k !== "ptr") return this.error("c-type", loc, ["pointer arithmetic needs a pointer"]);
    const size = sizeOf(p.t.to);
    if (size === undefined) this.error("c-type", loc, [`arithmetic on a pointer to incomplete ${describe(p.t.to)}`]);
    const i = this.convert(n, INT_TYPES.long, loc).v;
    let base = p.v;
    if (base.kind === "imm") base = this.fb.emit("const", [base]);
    if (i.kind === "imm") {
      const off = BigInt.asIntN(64, i.value * BigInt(size * sign));
      return { k: "rv", v: off === 0n ? base : this.fb.emit("ptradd", [base, imm(off)]), t: p.t };
    }
    let scaled = size === 1 ? i : this.fb.emit("mul", [i, imm(size)]);
    if (sign < 0) scaled = this.fb.emit("neg", [scaled]);
    return { k: "rv", v: this.fb.emit("ptradd", [base, scaled]), t: p.t };
  }

  /** Integer and pointer conversions (C11 §6.3.1.3, §6.3.2.3) on normalised values. */
  private convert(v: Extract<Val, { k: "rv" }>, to: CType, loc: Location): Extract<Val, { k: "rv" }> {
    if (to.k === "void") return { k: "rv", v: v.v, t: to };
    if (to.k === "ptr") {
      if (!isScalar(v.t)) this.error("c-type", loc, [`cannot convert ${describe(v.t)} to ${describe(to)}`]);
      return { k: "rv", v: v.v, t: to };
    }
    if (!isInteger(to)) {
      if (v.t.k === "record" && to.k === "record" && v.t.rec === to.rec) return { ...v, t: to };
      return this.error("c-type", loc, [`cannot convert ${describe(v.t)} to ${describe(to)}`]);
    }
    if (!isScalar(v.t)) return this.error("c-type", loc, [`cannot convert ${describe(v.t)} to ${describe(to)}`]);
    const t = intOf(to);
    if (v.v.kind === "imm") return { k: "rv", v: imm(normalize(v.v.value, to)), t: to };
    const from: IntType = v.t.k === "ptr" ? INT_TYPES.ulong : intOf(v.t);
    const known = bitsOf(v);
    const width = t.bool ? 1 : t.size * 8;
    // A value known to fit the target (non-negative, below 2^width, or 2^(width-1) when
    // signed) is already in the target's representation.
    if (known !== undefined && known <= (t.signed ? width - 1 : width)) return { k: "rv", v: v.v, t: to, bits: known };
    if (t.bool) return from.bool ? { ...v, t: to } : { k: "rv", v: this.condValueOf(v.v), t: to, bits: 1 };
    if (t.size === 8) return { k: "rv", v: v.v, t: to, bits: from.signed ? undefined : known };
    // Narrower source whose values the target holds, or the same representation: nothing to do.
    if ((from.size < t.size && (!from.signed || t.signed)) || (from.size === t.size && from.signed === t.signed)) return { k: "rv", v: v.v, t: to, bits: known };
    if (t.signed) return { k: "rv", v: this.fb.emit(`sext${t.size * 8}`, [v.v]), t: to };
    if (t.size === 4) return { k: "rv", v: this.fb.emit("zext32", [v.v]), t: to };
    return { k: "rv", v: this.fb.emit("and", [v.v, imm((1n << BigInt(t.size * 8)) - 1n)]), t: to };
  }

  private condValueOf(v: Arg): Arg {
    const c = this.fb.emit("icmp.ne", [v, imm(0)], "i1");
    return this.fb.emit("select", [c, imm(1), imm(0)]);
  }

  private cast(e: Extract<Expr, { k: "cast" }>): Val {
    const t = this.typeName(e.type);
    const v = this.expr(e.operand);
    if (v.k === "map") return { ...v, t };
    if (v.k === "func") return { ...v, t };
    if (t.k === "void") return { k: "rv", v: imm(0), t };
    return this.convert(this.rvalue(v, e.loc), t, e.loc);
  }

  private conditional(e: Extract<Expr, { k: "cond" }>): Val {
    const c = this.tryConst(e.cond);
    if (c) {
      // Only the chosen arm is lowered: bpf_htons(const) picks the constant arm.
      const chosen = c.value !== 0n ? (e.then ?? e.cond) : e.else;
      const v = this.expr(chosen);
      const other = this.tryConst(c.value !== 0n ? e.else : (e.then ?? e.cond));
      if (v.k === "rv" && other && isInteger(v.t) && isInteger(other.type)) return this.convert(v, usualArithmetic(v.t, other.type), e.loc);
      return v;
    }
    // The result type needs both arms' types before either is converted.
    const ta = this.valueType(e.then ?? e.cond);
    const tb = this.valueType(e.else);
    const type: CType = isInteger(ta) && isInteger(tb) ? usualArithmetic(ta, tb) : ta.k === "void" ? VOID : ta.k === "ptr" ? ta : tb;
    const t = this.fb.newBlock("cond_then");
    const f = this.fb.newBlock("cond_else");
    const join = this.fb.newBlock("cond", ["i64"]);
    this.cond(e.cond, t.name, f.name);
    for (const [block, arm] of [[t.name, e.then ?? e.cond], [f.name, e.else]] as const) {
      this.fb.switchTo(block);
      const v = this.expr(arm);
      this.fb.br(join.name, [type.k === "void" ? imm(0) : this.convert(this.rvalue(v, arm.loc), type, arm.loc).v]);
    }
    this.fb.switchTo(join.name);
    return { k: "rv", v: join.params[0]!, t: type };
  }

  /** The type of an expression's value (arrays decay), without lowering it here. */
  private valueType(e: Expr): CType {
    const t = this.typeOfExpr(e);
    return t.k === "array" ? ptrTo(t.of) : t;
  }

  // ---- Calls ----

  private call(e: Extract<Expr, { k: "call" }>): Val {
    if (e.callee.k === "ident" && !this.lookup(e.callee.name)) return this.builtin(e.callee.name, e);
    const callee = this.expr(e.callee);
    if (callee.k !== "func") return this.error("c-unsupported", e.loc, ["a call through a function pointer variable"]);
    const s = callee.sym;
    if (s.k === "global") return this.helperCall(this.helperId(s)!, s.type, e);
    if (!s.def) return this.error("c-undeclared", e.loc, [`function '${s.name}' (declared but never defined)`]);
    if (attr([...s.def.spec.attributes, ...s.def.declarator.attributes], "noinline")) return this.subprogramCall(s, e);
    return this.inline(s, e);
  }

  /** Inlines a function body: parameters in fresh slots, `return` to a join block. */
  private inline(s: Extract<Sym, { k: "func" }>, e: Extract<Expr, { k: "call" }>): Val {
    const ft = s.type as Extract<CType, { k: "func" }>;
    if (++this.inlineDepth > MAX_INLINE_DEPTH) this.error("c-unsupported", e.loc, [`recursion ('${s.name}' calls itself)`]);
    if (ft.prototyped && (e.args.length < ft.params.length || (!ft.variadic && e.args.length > ft.params.length))) this.error("c-type", e.loc, [`'${s.name}' takes ${ft.params.length} arguments, not ${e.args.length}`]);
    const args = e.args.map((a, i) => {
      const v = this.rvalue(this.expr(a), a.loc);
      return ft.params[i] ? this.convert(v, ft.params[i]!, a.loc) : v;
    });
    const join = this.fb.newBlock(`ret_${s.name}_`, ["i64"]);
    const saved = { ret: this.ret, loop: this.loop, labels: this.labels, scope: this.scope, sw: this.switchCases };
    this.ret = { block: join.name, type: ft.ret };
    this.loop = {};
    this.labels = new Map();
    this.switchCases = undefined;
    this.scope = { names: new Map(), tags: new Map(), parent: this.global };
    try {
      const def = s.def!;
      const fparams = def.declarator.derivations.at(-1);
      const names = fparams?.k === "func" ? fparams.params.map((p) => p.declarator.name) : [];
      ft.params.forEach((pt, i) => {
        const off = this.local(names[i] ?? `arg${i}`, pt, e.loc);
        this.store({ k: "lv", base: this.frameArg(), region: "stack", off, t: pt }, args[i]!.v, e.loc);
      });
      this.stmt(def.body);
      if (!this.fb.terminated) this.fb.br(join.name, [imm(0)]);
    } finally {
      Object.assign(this, { ret: saved.ret, loop: saved.loop, labels: saved.labels, scope: saved.scope, switchCases: saved.sw });
      this.inlineDepth--;
    }
    this.fb.switchTo(join.name);
    return { k: "rv", v: join.params[0]!, t: ft.ret };
  }

  private helperCall(id: number, t: CType, e: Extract<Expr, { k: "call" }>): Val {
    const ft = (t.k === "ptr" ? t.to : t) as Extract<CType, { k: "func" }>;
    const mapOp = MAP_OPS[id];
    const args: Arg[] = e.args.map((a, i) => {
      const v = this.expr(a);
      if (v.k === "map") return mapOp && i === 0 ? sym(v.name) : this.fb.emit("map.ref", [sym(v.name)], "map");
      let r = this.rvalue(v, a.loc);
      if (ft.params[i]) r = this.convert(r, ft.params[i]!, a.loc);
      // Operands the IR wants as values (pointers): materialise constants.
      return mapOp && i > 0 && i < 3 && r.v.kind === "imm" ? this.fb.emit("const", [r.v]) : r.v;
    });
    if (args.length > 5) this.error("c-type", e.loc, ["a helper takes at most 5 arguments"]);
    let result: Arg;
    if (mapOp) {
      if (args[0]?.kind !== "sym") this.error("c-map", e.loc, [`the first argument of helper ${id} must be &map`]);
      result = this.fb.emit(mapOp, args, mapOp === "map.lookup" ? "ptr.map_value" : "i64");
    } else result = this.fb.emit("call.helper", [imm(id), ...args]);
    const ret = ft.ret;
    if (ret.k === "void") return { k: "rv", v: imm(0), t: ret };
    // A helper's r0 is a full register: narrower return types are normalised as clang reads them.
    return isInteger(ret) && intOf(ret).size < 8 ? this.convert({ k: "rv", v: result, t: INT_TYPES.ulong }, ret, e.loc) : { k: "rv", v: result, t: ret };
  }

  /** Compiler builtins (clang's __builtin_*, __sync_*, __atomic_*). */
  private builtin(name: string, e: Extract<Expr, { k: "call" }>): Val {
    const arg = (i: number) => {
      const a = e.args[i];
      if (!a) this.error("c-type", e.loc, [`${name} needs ${i + 1} arguments`]);
      return this.rvalue(this.expr(a), a.loc);
    };
    const bswap = /^__builtin_bswap(16|32|64)$/.exec(name);
    if (bswap) {
      const c = this.tryConst(e);
      const bits = Number(bswap[1]);
      const t = bits === 16 ? INT_TYPES.ushort : bits === 32 ? INT_TYPES.uint : INT_TYPES.ulong;
      if (c) return { k: "rv", v: imm(c.value), t };
      const x = this.convert(arg(0), t, e.loc);
      // BPF_END TO_BE on a little-endian target swaps and zero-extends: what clang emits.
      return { k: "rv", v: this.fb.emit(`be${bits}`, [x.v]), t };
    }
    switch (name) {
      case "__builtin_constant_p":
        return { k: "rv", v: imm(this.tryConst(e.args[0]!) ? 1 : 0), t: INT_TYPES.int };
      case "__builtin_expect":
      case "__builtin_expect_with_probability":
        return arg(0);
      case "__builtin_unreachable":
      case "__builtin_trap":
        this.fb.terminate({ op: "unreachable" });
        return { k: "rv", v: imm(0), t: VOID };
      case "__builtin_memcpy":
      case "__builtin_memmove":
      case "__builtin_memset":
      case "__builtin_memcmp":
        return this.memBuiltin(name, e);
      case "__builtin_ffs":
      case "__builtin_clz":
      case "__builtin_ctz":
      case "__builtin_popcount":
        return this.error("c-unsupported", e.loc, [`${name} on a non-constant`]);
    }
    if (/^__sync_|^__atomic_/.test(name)) return this.atomic(e, false);
    return this.error("c-undeclared", e.callee.loc, [name]);
  }

  private memBuiltin(name: string, e: Extract<Expr, { k: "call" }>): Val {
    const n = e.args[2] ? this.tryConst(e.args[2]) : undefined;
    if (!n) return this.error("c-unsupported", e.loc, [`${name} with a size that is not a constant`]);
    const size = Number(n.value);
    const ptr = (i: number) => {
      const v = this.rvalue(this.expr(e.args[i]!), e.args[i]!.loc);
      if (v.t.k !== "ptr") this.error("c-type", e.args[i]!.loc, [`${name} needs a pointer, not ${describe(v.t)}`]);
      let base = v.v;
      if (base.kind === "imm") base = this.fb.emit("const", [base]);
      return { base, align: Math.max(1, Math.min(8, alignOf(v.t.to.k === "void" ? INT_TYPES.char : v.t.to))) };
    };
    const dst = ptr(0);
    if (name === "__builtin_memset") {
      const c = this.tryConst(e.args[1]!);
      if (!c) return this.error("c-unsupported", e.loc, ["__builtin_memset with a fill byte that is not a constant"]);
      const byte = BigInt.asUintN(8, c.value);
      let at = 0;
      for (const k of [8, 4, 2, 1]) {
        if (k > dst.align) continue;
        let fill = 0n;
        for (let i = 0; i < k; i++) fill = (fill << 8n) | byte;
        while (size - at >= k) {
          this.fb.effect(`store.u${k * 8}`, [word("any"), dst.base, imm(at), imm(BigInt.asIntN(64, fill))]);
          at += k;
        }
      }
      return { k: "rv", v: dst.base, t: ptrTo(VOID) };
    }
    const src = ptr(1);
    const align = Math.min(dst.align, src.align);
    if (name === "__builtin_memcmp") return this.memcmp(dst.base, src.base, size);
    const chunks: { at: number; k: number }[] = [];
    let at = 0;
    for (const k of [8, 4, 2, 1]) {
      if (k > align) continue;
      while (size - at >= k) {
        chunks.push({ at, k });
        at += k;
      }
    }
    if (name === "__builtin_memmove") {
      // Overlap: every load before the first store.
      const vals = chunks.map((c) => this.fb.emit(`load.u${c.k * 8}`, [word("any"), src.base, imm(c.at)]));
      chunks.forEach((c, i) => this.fb.effect(`store.u${c.k * 8}`, [word("any"), dst.base, imm(c.at), vals[i]!]));
    } else {
      for (const c of chunks) {
        const v = this.fb.emit(`load.u${c.k * 8}`, [word("any"), src.base, imm(c.at)]);
        this.fb.effect(`store.u${c.k * 8}`, [word("any"), dst.base, imm(c.at), v]);
      }
    }
    return { k: "rv", v: dst.base, t: ptrTo(VOID) };
  }

  /** memcmp: the difference of the first differing bytes (as unsigned char), else 0. */
  private memcmp(a: Arg, b: Arg, size: number): Val {
    const join = this.fb.newBlock("memcmp", ["i64"]);
    for (let i = 0; i < size; i++) {
      const x = this.fb.emit("load.u8", [word("any"), a, imm(i)]);
      const y = this.fb.emit("load.u8", [word("any"), b, imm(i)]);
      const differ = this.fb.newBlock("memcmp_ne");
      const next = this.fb.newBlock("memcmp_next");
      this.fb.brIf(this.fb.emit("icmp.ne", [x, y], "i1"), differ.name, next.name);
      this.fb.switchTo(differ.name);
      this.fb.br(join.name, [this.fb.emit("sext32", [this.fb.emit("sub32", [x, y])])]);
      this.fb.switchTo(next.name);
    }
    this.fb.br(join.name, [imm(0)]);
    this.fb.switchTo(join.name);
    return { k: "rv", v: join.params[0]!, t: INT_TYPES.int };
  }

  /** __sync_* and __atomic_* on a pointer: BPF atomic instructions (RFC 9669 §5.3). */
  private atomic(e: Extract<Expr, { k: "call" }>, discard: boolean): Val {
    const name = (e.callee as Extract<Expr, { k: "ident" }>).name;
    const p = this.rvalue(this.expr(e.args[0]!), e.args[0]!.loc);
    if (p.t.k !== "ptr" || !isInteger(p.t.to)) return this.error("c-type", e.loc, [`${name} needs a pointer to an integer`]);
    const t = intOf(p.t.to);
    if (t.size !== 4 && t.size !== 8) this.error("c-unsupported", e.loc, [`${name} on a ${t.size}-byte integer (BPF atomics are 32 or 64 bits)`]);
    const size = t.size === 8 ? "u64" : "u32";
    let base = p.v;
    if (base.kind === "imm") base = this.fb.emit("const", [base]);
    const val = (i: number) => this.convert(this.rvalue(this.expr(e.args[i]!), e.args[i]!.loc), t, e.loc).v;
    const m = /^__(?:sync|atomic)_(fetch_and_|fetch_|)(add|sub|or|and|xor)(_and_fetch|_fetch|)$/.exec(name);
    if (m) {
      const op = m[2]!;
      let v = val(1);
      let irOp = op;
      if (op === "sub") {
        v = v.kind === "imm" ? imm(normalize(-v.value, t)) : this.fb.emit("neg", [v]);
        irOp = "add";
      }
      const fetchFirst = m[1] !== "";
      if (discard && fetchFirst) {
        this.fb.emit(`atomic.${irOp}.${size}`, [word("any"), base, imm(0), v]);
        return { k: "rv", v: imm(0), t: VOID };
      }
      const old = this.normalized(this.fb.emit(`atomic.fetch_${irOp}.${size}`, [word("any"), base, imm(0), v]), t.size === 4 ? t : INT_TYPES.ulong);
      const oldV: Extract<Val, { k: "rv" }> = { k: "rv", v: old.v, t };
      if (fetchFirst) return oldV;
      const ops: Record<string, string> = { add: "+", or: "|", and: "&", xor: "^" };
      return this.convert(this.arith(ops[irOp]!, oldV, { k: "rv", v, t }, e.loc), t, e.loc);
    }
    switch (name) {
      case "__sync_val_compare_and_swap":
      case "__sync_bool_compare_and_swap": {
        const expected = val(1);
        const old = this.fb.emit(`atomic.cmpxchg.${size}`, [word("any"), base, imm(0), expected, val(2)]);
        const oldV = this.normalized(old, t.size === 4 ? t : INT_TYPES.ulong);
        if (name === "__sync_val_compare_and_swap") return { k: "rv", v: oldV.v, t };
        return { k: "rv", v: this.fb.emit("select", [this.fb.emit("icmp.eq", [oldV.v, expected], "i1"), imm(1), imm(0)]), t: INT_TYPES.bool };
      }
      case "__sync_lock_test_and_set":
      case "__atomic_exchange_n":
        return { k: "rv", v: this.normalized(this.fb.emit(`atomic.xchg.${size}`, [word("any"), base, imm(0), val(1)]), t.size === 4 ? t : INT_TYPES.ulong).v, t };
      case "__atomic_load_n":
        return this.load({ k: "lv", base, region: "any", off: 0, t }, e.loc);
      case "__atomic_store_n":
        this.store({ k: "lv", base, region: "any", off: 0, t }, val(1), e.loc);
        return { k: "rv", v: imm(0), t: VOID };
    }
    return this.error("c-unsupported", e.loc, [`the builtin ${name}`]);
  }
}

// ---- Helpers with no state ----

/** What is known of a value's magnitude: [0, 2^bits), from its constant or unsigned type. */
function bitsOf(v: Extract<Val, { k: "rv" }>): number | undefined {
  if (v.v.kind === "imm") return v.v.value >= 0n ? v.v.value.toString(2).length : undefined;
  const fromType = isInteger(v.t) && !intOf(v.t).signed ? (intOf(v.t).bool ? 1 : intOf(v.t).size * 8) : undefined;
  return minBits(v.bits, fromType);
}

function minBits(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Bits of an operation's exact result on non-negative operands of known bits, where bounded. */
function resultBits(op: string, a: number | undefined, b: number | undefined, bConst: bigint | undefined): number | undefined {
  switch (op) {
    case "&":
      return minBits(a, b);
    case "|":
    case "^":
      return a === undefined || b === undefined ? undefined : Math.max(a, b);
    case "+":
      return a === undefined || b === undefined ? undefined : Math.max(a, b) + 1;
    case "*":
      return a === undefined || b === undefined ? undefined : a + b;
    case "/":
      return b === undefined ? undefined : a;
    case "%":
      return a === undefined || b === undefined ? undefined : Math.min(a, b);
    case ">>":
      return a;
    case "<<":
      return a === undefined || bConst === undefined || bConst > 63n ? undefined : a + Number(bConst);
    default:
      return undefined;
  }
}

/** C11 §6.4.4.1: the value and type of an integer constant. */
export function parseIntConstant(text: string): { value: bigint; type: IntType } {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)([uUlL]*)$/.exec(text)!;
  const digits = m[1]!;
  const suffix = m[2]!.toLowerCase();
  const value = /^0[xX]/.test(digits) ? BigInt(digits) : /^0[bB]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith("0") ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const decimal = !/^0/.test(digits) || digits === "0";
  const u = suffix.includes("u");
  const l = suffix.replace("u", "");
  const candidates: IntType[] =
    l === "" ? (u ? [INT_TYPES.uint, INT_TYPES.ulong, INT_TYPES.ullong] : decimal ? [INT_TYPES.int, INT_TYPES.long, INT_TYPES.llong] : [INT_TYPES.int, INT_TYPES.uint, INT_TYPES.long, INT_TYPES.ulong, INT_TYPES.llong, INT_TYPES.ullong])
    : l === "l" ? (u ? [INT_TYPES.ulong, INT_TYPES.ullong] : decimal ? [INT_TYPES.long, INT_TYPES.llong] : [INT_TYPES.long, INT_TYPES.ulong, INT_TYPES.llong, INT_TYPES.ullong])
    : u ? [INT_TYPES.ullong] : decimal ? [INT_TYPES.llong] : [INT_TYPES.llong, INT_TYPES.ullong];
  const fits = (t: IntType) => (t.signed ? value < 1n << BigInt(t.size * 8 - 1) : value < 1n << BigInt(t.size * 8));
  const type = candidates.find(fits) ?? INT_TYPES.ullong;
  return { value: normalize(value, type), type };
}

/** A character constant's value: int, from a (signed) char (C11 §6.4.4.4p10). */
function charValue(text: string): bigint {
  const body = text.replace(/^[LuU]?'/, "").slice(0, -1);
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== "\\") {
      bytes.push(body.charCodeAt(i));
      continue;
    }
    const rest = body.slice(i + 1);
    const oct = /^[0-7]{1,3}/.exec(rest);
    const hex = /^x([0-9a-fA-F]+)/.exec(rest);
    if (oct) (bytes.push(parseInt(oct[0], 8) & 0xff), (i += oct[0].length));
    else if (hex) (bytes.push(parseInt(hex[1]!, 16) & 0xff), (i += hex[0].length));
    else {
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27 };
      bytes.push(simple[rest[0]!] ?? rest.charCodeAt(0));
      i++;
    }
  }
  return BigInt.asIntN(8, BigInt(bytes.at(-1) ?? 0));
}

/** `char s[] = "..."` or `int a[] = {...}`: the initialiser gives the array its length (C11 §6.7.9p22). */
function completeArray(t: CType, init: Initializer | undefined): CType {
  if (t.k !== "array" || t.n !== undefined || !init) return t;
  if (init.k === "expr" && init.expr.k === "string") return { ...t, n: init.expr.bytes.length + 1 };
  if (init.k !== "list") return t;
  let n = 0;
  let pos = 0;
  for (const item of init.items) {
    const d = item.designators[0];
    if (d?.k === "index" && d.index.k === "int") pos = Number(parseIntConstant(d.index.text).value);
    n = Math.max(n, ++pos);
  }
  return { ...t, n };
}

function byteSwap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Folds a binary operator on two integer constants, C's way. */
export function foldBinary(op: string, l: { value: bigint; type: CType }, r: { value: bigint; type: CType }): { value: bigint; type: CType } | undefined {
  if (op === "<<" || op === ">>") {
    const t = promote(l.type);
    const a = normalize(l.value, t);
    const n = r.value;
    if (n < 0n || n >= BigInt(t.size * 8)) return undefined;
    return { value: normalize(op === "<<" ? a << n : a >> n, t), type: t };
  }
  const t = usualArithmetic(l.type, r.type);
  const a = normalize(l.value, t);
  const b = normalize(r.value, t);
  const bool = (x: boolean) => ({ value: x ? 1n : 0n, type: INT_TYPES.int as CType });
  switch (op) {
    case "+": return { value: normalize(a + b, t), type: t };
    case "-": return { value: normalize(a - b, t), type: t };
    case "*": return { value: normalize(a * b, t), type: t };
    case "/": return b === 0n ? undefined : { value: normalize(a / b, t), type: t };
    case "%": return b === 0n ? undefined : { value: normalize(a % b, t), type: t };
    case "&": return { value: normalize(a & b, t), type: t };
    case "|": return { value: normalize(a | b, t), type: t };
    case "^": return { value: normalize(a ^ b, t), type: t };
    case "==": return bool(a === b);
    case "!=": return bool(a !== b);
    case "<": return bool(a < b);
    case ">": return bool(a > b);
    case "<=": return bool(a <= b);
    case ">=": return bool(a >= b);
    case "&&": return bool(a !== 0n && b !== 0n);
    case "||": return bool(a !== 0n || b !== 0n);
    default: return undefined;
  }
}

function sameType(a: CType, b: CType): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case "int": {
      const y = b as IntType;
      return a.size === y.size && a.signed === y.signed && a.rank === y.rank && !!a.bool === !!y.bool;
    }
    case "ptr": return sameType(a.to, (b as typeof a).to);
    case "array": return sameType(a.of, (b as typeof a).of);
    case "record": return a.rec === (b as typeof a).rec;
    case "enum": return a.tag === (b as typeof a).tag;
    default: return true;
  }
}

/** Does a statement assign (or take the address of) variable v? */
function assigns(s: Stmt | Declaration | Expr | undefined, v: string): boolean {
  if (!s || typeof s !== "object") return false;
  if ("k" in s) {
    if (s.k === "assign" && s.left.k === "ident" && s.left.name === v) return true;
    if ((s.k === "postfix" || (s.k === "unary" && (s.op === "++pre" || s.op === "--pre" || s.op === "&"))) && s.operand.k === "ident" && s.operand.name === v) return true;
  }
  return Object.values(s).some((x) => (Array.isArray(x) ? x.some((y) => typeof y === "object" && y !== null && assigns(y as Stmt, v)) : typeof x === "object" && x !== null && "k" in x && assigns(x as Stmt, v)));
}

function describeExpr(e: Expr): string {
  switch (e.k) {
    case "ident": return `'${e.name}'`;
    case "int": return e.text;
    case "member": return `'${e.name}'`;
    default: return "the expression";
  }
}

export type { External };
