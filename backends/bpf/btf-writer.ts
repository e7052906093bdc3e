// The BTF that makes a bpfoff object loadable by libbpf 1.x (bpftool 7.1): the `.BTF`
// types of BTF-defined maps (the anonymous structs bpf_helpers.h's __uint/__type macros
// build, one VAR each in DATASEC `.maps`) and of every function (FUNC + FUNC_PROTO), and
// the `.BTF.ext` func_info and line_info that tie each function to its first instruction.
// Layouts: the kernel's Documentation/bpf/btf.rst (§2 type encoding, §4.2 .BTF.ext) and
// include/uapi/linux/btf.h; conventions: what `clang -O2 -g -target bpf` writes.
//
// Why .BTF.ext at all: libbpf 1.1 accepts an object without it, but bpftool then shows
// programs without function names or signatures; with it, every function needs a
// func_info record and every function start a line_info record (the kernel refuses
// func_info without line_info for a subprogram start: "missing bpf_line_info for func#N",
// and libbpf warns "missing .BTF.ext line info" when a program has func_info only).
import { linuxTypeOf, type MapDef, type MapKind } from "../../runtime/maps/def.js";
import { XDP_MD } from "../../runtime/interp/xdp.js";
import { StringTable } from "./string-table.js";

/** btf.rst §2: magic, version 1, a 24-byte header. */
const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const BTF_HEADER_SIZE = 24;
/** btf.rst §4.2: .BTF.ext header up to line_info_len (no CO-RE relocations). */
const BTF_EXT_HEADER_SIZE = 32;
const FUNC_INFO_REC_SIZE = 8; // struct bpf_func_info {insn_off, type_id}
const LINE_INFO_REC_SIZE = 16; // struct bpf_line_info {insn_off, file_name_off, line_off, line_col}

/** Kind numbers (include/uapi/linux/btf.h, BTF_KIND_*), only those written here. */
const KIND = { INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, TYPEDEF: 8, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15 } as const;
/** BTF_INT_SIGNED: the encoding bit of a signed INT. */
const INT_SIGNED = 1;
/** btf.h enum btf_func_linkage / BTF_VAR_GLOBAL_ALLOCATED. */
const LINKAGE = { STATIC: 0, GLOBAL: 1 } as const;

/** The section libbpf reads BTF-defined maps from (libbpf.c MAPS_ELF_SEC_BTF). */
export const BTF_MAPS_SECTION = ".maps";

/**
 * How each map kind describes its key and value, and why. `type` gives __type(key, T)
 * and __type(value, T) (the kernel then checks T's size and bpftool prints entries by
 * field); `size` gives __uint(key_size, N) and __uint(value_size, N), for kinds whose
 * kernel map refuses key/value BTF.
 */
const KEY_VALUE_STYLE: Readonly<Record<MapKind, "type" | "size">> = {
  hash: "type",
  array: "type", // array_map_check_btf: the key must be a 4-byte INT, which __u32 is
  prog_array: "size", // fd_array maps use map_check_no_btf: -ENOTSUPP with key/value types
  percpu_hash: "type",
  percpu_array: "type",
  lru_hash: "type",
  lpm_trie: "type", // trie_check_btf: the key must be a STRUCT, see keyType()
  devmap: "size", // as the kernel selftests declare it; values are ifindexes, not data
  tcam: "size", // bpfoff's own kind: no kernel type to describe
};

/** Unsigned integers by byte size, as <linux/types.h> names them (typedef -> base INT). */
const UNSIGNED = new Map<number, readonly [typedef: string, base: string]>([
  [1, ["__u8", "unsigned char"]],
  [2, ["__u16", "unsigned short"]],
  [4, ["__u32", "unsigned int"]],
  [8, ["__u64", "unsigned long long"]],
]);


/** A BTF type table under construction: identical types are written once (ids from 1). */
export class BtfBuilder {
  readonly strings = new StringTable();
  private readonly words: number[][] = [];
  private readonly byKey = new Map<string, number>();

  private add(name: string, kind: number, vlen: number, sizeOrType: number, rest: readonly number[] = [], kindFlag = 0): number {
    const rec = [this.strings.add(name), ((kindFlag & 1) << 31) | (kind << 24) | (vlen & 0xffff), sizeOrType >>> 0, ...rest.map((w) => w >>> 0)];
    const key = JSON.stringify([name, rec.slice(1)]);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    this.words.push(rec);
    const id = this.words.length;
    this.byKey.set(key, id);
    return id;
  }

  int(name: string, size: number, signed: boolean): number {
    // btf.rst §2.2.1: encoding in bits 24-27, offset 16-23, bits 0-7.
    return this.add(name, KIND.INT, 0, size, [((signed ? INT_SIGNED : 0) << 24) | (size * 8)]);
  }
  ptr(type: number): number {
    return this.add("", KIND.PTR, 0, type);
  }
  array(elem: number, nelems: number): number {
    // clang's index type for every array: a 4-byte unsigned INT of this name.
    const index = this.int("__ARRAY_SIZE_TYPE__", 4, false);
    return this.add("", KIND.ARRAY, 0, 0, [elem, index, nelems]);
  }
  typedef(name: string, type: number): number {
    return this.add(name, KIND.TYPEDEF, 0, type);
  }
  /** Members at bit offsets; name "" is an anonymous struct. */
  struct(name: string, size: number, members: readonly { name: string; type: number; bitOffset: number }[]): number {
    return this.add(name, KIND.STRUCT, members.length, size, members.flatMap((m) => [this.strings.add(m.name), m.type, m.bitOffset]));
  }
  funcProto(ret: number, params: readonly { name: string; type: number }[]): number {
    return this.add("", KIND.FUNC_PROTO, params.length, ret, params.flatMap((p) => [this.strings.add(p.name), p.type]));
  }
  func(name: string, proto: number, linkage: number): number {
    return this.add(name, KIND.FUNC, linkage, proto);
  }
  globalVar(name: string, type: number): number {
    return this.add(name, KIND.VAR, 0, type, [LINKAGE.GLOBAL]);
  }
  datasec(name: string, size: number, vars: readonly { type: number; offset: number; size: number }[]): number {
    return this.add(name, KIND.DATASEC, vars.length, size, vars.flatMap((v) => [v.type, v.offset, v.size]));
  }

  /** `unsigned int` and friends through their __uN typedef; other sizes are __u8[N]. */
  unsignedOfSize(size: number): number {
    const named = UNSIGNED.get(size);
    if (named) return this.typedef(named[0], this.int(named[1], size, false));
    return this.array(this.unsignedOfSize(1), size);
  }

  /** bpf_helpers.h `__uint(name, n)`: `int (*name)[n]`. */
  uintMember(n: number): number {
    return this.ptr(this.array(this.int("int", 4, true), n));
  }

  encode(): Uint8Array {
    const types = Buffer.alloc(this.words.reduce((n, r) => n + r.length * 4, 0));
    let p = 0;
    for (const r of this.words) for (const w of r) (types.writeUInt32LE(w, p), (p += 4));
    const strings = this.strings.bytes();
    const out = Buffer.alloc(BTF_HEADER_SIZE + types.length + strings.length);
    out.writeUInt16LE(BTF_MAGIC, 0);
    out.writeUInt8(BTF_VERSION, 2);
    out.writeUInt8(0, 3); // flags
    out.writeUInt32LE(BTF_HEADER_SIZE, 4);
    out.writeUInt32LE(0, 8); // type_off
    out.writeUInt32LE(types.length, 12);
    out.writeUInt32LE(types.length, 16); // str_off: strings follow the types
    out.writeUInt32LE(strings.length, 20);
    types.copy(out, BTF_HEADER_SIZE);
    out.set(strings, BTF_HEADER_SIZE + types.length);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

/** The key type of a map: lpm_trie keys are struct {__u32 prefixlen; __u8 data[N-4]}, as bpf_lpm_trie_key_u8 lays them out. */
function keyType(b: BtfBuilder, def: MapDef): number {
  if (def.kind !== "lpm_trie" || def.keySize <= 4) return b.unsignedOfSize(def.keySize);
  return b.struct("", def.keySize, [
    { name: "prefixlen", type: b.unsignedOfSize(4), bitOffset: 0 },
    { name: "data", type: b.array(b.unsignedOfSize(1), def.keySize - 4), bitOffset: 32 },
  ]);
}

/** A map definition struct: its BTF type and its size, which is the map's size in `.maps`. */
export function mapDefinitionType(b: BtfBuilder, def: MapDef): { type: number; size: number } {
  const members: { name: string; type: number }[] = [
    { name: "type", type: b.uintMember(linuxTypeOf(def.kind)) },
    { name: "max_entries", type: b.uintMember(def.maxEntries) },
  ];
  // As a C declaration would say it: map_flags only when there are flags.
  if (def.flags !== 0) members.push({ name: "map_flags", type: b.uintMember(def.flags) });
  if (KEY_VALUE_STYLE[def.kind] === "type") {
    members.push({ name: "key", type: b.ptr(keyType(b, def)) }, { name: "value", type: b.ptr(b.unsignedOfSize(def.valueSize)) });
  } else {
    members.push({ name: "key_size", type: b.uintMember(def.keySize) }, { name: "value_size", type: b.uintMember(def.valueSize) });
  }
  // Every member is a pointer: 8 bytes on BPF.
  const size = members.length * 8;
  return { type: b.struct("", size, members.map((m, i) => ({ ...m, bitOffset: i * 64 }))), size };
}

/** struct xdp_md (include/uapi/linux/bpf.h): every field a __u32, offsets from the interpreter's table. */
function xdpMd(b: BtfBuilder): number {
  const u32 = b.unsignedOfSize(4);
  const fields = Object.entries(XDP_MD).filter(([name]) => name !== "size");
  return b.struct("xdp_md", XDP_MD.size, fields.map(([name, offset]) => ({ name, type: u32, bitOffset: offset * 8 })));
}

/** A function as the ELF writer lays it out: its section and byte offset there. */
export interface BtfFunction {
  readonly name: string;
  readonly section: string;
  /** Byte offset of the first instruction in the section. */
  readonly offset: number;
  /** Entry points are global (libbpf makes them programs), subprograms static. */
  readonly isProgram: boolean;
}

export interface ObjectBtf {
  readonly btf: Uint8Array;
  readonly btfExt: Uint8Array;
  /** Size of each map's definition in `.maps`, in the order of `maps`. */
  readonly mapSizes: readonly number[];
}

/** BTF names must be C identifiers (the kernel's btf_name_valid_identifier). */
export function btfIdentifier(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/** The file name line_info records point to: generated code has no source lines. */
const LINE_INFO_FILE = "bpfoff";

/**
 * .BTF and .BTF.ext for an object whose BTF-defined maps are `maps` (laid out one after
 * another in `.maps`) and whose functions are `functions`.
 */
export function buildObjectBtf(maps: readonly MapDef[], functions: readonly BtfFunction[]): ObjectBtf {
  const b = new BtfBuilder();
  const vars: { type: number; offset: number; size: number }[] = [];
  let offset = 0;
  const mapSizes = maps.map((def) => {
    const { type, size } = mapDefinitionType(b, def);
    vars.push({ type: b.globalVar(def.name, type), offset, size });
    offset += size;
    return size;
  });
  if (maps.length) b.datasec(BTF_MAPS_SECTION, offset, vars);

  // Entry points: int name(struct xdp_md *ctx) for XDP sections, int name(void *ctx)
  // elsewhere (the verifier logs that it cannot size a void * argument, and goes on).
  // Subprograms return r0 whole and their arguments are not known here: long long
  // name(void); the kernel checks the signatures of global functions only, and these are static.
  const int = b.int("int", 4, true);
  const ctxProto = (section: string) => b.funcProto(int, [{ name: "ctx", type: b.ptr(section === "xdp" || section.startsWith("xdp.") || section.startsWith("xdp/") ? xdpMd(b) : 0) }]);
  const subProto = b.funcProto(b.int("long long", 8, true), []);
  const records = functions.map((f) => ({
    f,
    typeId: b.func(btfIdentifier(f.name), f.isProgram ? ctxProto(f.section) : subProto, f.isProgram ? LINKAGE.GLOBAL : LINKAGE.STATIC),
    file: b.strings.add(LINE_INFO_FILE),
    line: b.strings.add(f.name),
  }));

  // .BTF.ext: records grouped by section (in first-seen order), by offset within each.
  const sections = [...new Set(functions.map((f) => f.section))];
  const funcInfo: number[] = [FUNC_INFO_REC_SIZE];
  const lineInfo: number[] = [LINE_INFO_REC_SIZE];
  for (const s of sections) {
    const here = records.filter((r) => r.f.section === s).sort((x, y) => x.f.offset - y.f.offset);
    const name = b.strings.add(s);
    funcInfo.push(name, here.length, ...here.flatMap((r) => [r.f.offset, r.typeId]));
    lineInfo.push(name, here.length, ...here.flatMap((r) => [r.f.offset, r.file, r.line, 0]));
  }
  const btf = b.encode();
  const ext = Buffer.alloc(BTF_EXT_HEADER_SIZE + (funcInfo.length + lineInfo.length) * 4);
  ext.writeUInt16LE(BTF_MAGIC, 0);
  ext.writeUInt8(BTF_VERSION, 2);
  ext.writeUInt8(0, 3);
  ext.writeUInt32LE(BTF_EXT_HEADER_SIZE, 4);
  ext.writeUInt32LE(0, 8); // func_info_off, from the end of the header
  ext.writeUInt32LE(funcInfo.length * 4, 12);
  ext.writeUInt32LE(funcInfo.length * 4, 16); // line_info_off
  ext.writeUInt32LE(lineInfo.length * 4, 20);
  [...funcInfo, ...lineInfo].forEach((w, i) => ext.writeUInt32LE(w >>> 0, BTF_EXT_HEADER_SIZE + i * 4));
  return { btf, btfExt: new Uint8Array(ext.buffer, ext.byteOffset, ext.length), mapSizes };
}
