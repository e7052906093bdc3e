// The BPF Type Format (.BTF section), read far enough to understand BTF-defined maps:
// the header, the string table and every type record, with sizes resolved through
// typedefs and modifiers. Layouts follow the kernel's Documentation/bpf/btf.rst
// (§2 "BTF Type and String Encoding") and include/uapi/linux/btf.h.
import { fail } from "../../../ir/diag/diag.js";

/** btf.rst §2: magic 0xeB9F, read little-endian; the header is at least 24 bytes. */
const BTF_MAGIC = 0xeb9f;
const BTF_HEADER_MIN = 24;

/**
 * Every BTF kind (btf.rst §2.2), with the layout of the data that follows the 12-byte
 * `struct btf_type`: `extraWords` 32-bit words once, then `vlen` records of `memberWords`
 * words each. `sizeField` says whether the third word is a byte size or a type id.
 */
export const BTF_KINDS = [
  { kind: 1, name: "INT", sizeField: "size", extraWords: 1, memberWords: 0 }, // + encoding/offset/bits word
  { kind: 2, name: "PTR", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 3, name: "ARRAY", sizeField: "none", extraWords: 3, memberWords: 0 }, // + struct btf_array {type, index_type, nelems}
  { kind: 4, name: "STRUCT", sizeField: "size", extraWords: 0, memberWords: 3 }, // btf_member {name_off, type, offset}
  { kind: 5, name: "UNION", sizeField: "size", extraWords: 0, memberWords: 3 },
  { kind: 6, name: "ENUM", sizeField: "size", extraWords: 0, memberWords: 2 }, // btf_enum {name_off, val}
  { kind: 7, name: "FWD", sizeField: "none", extraWords: 0, memberWords: 0 }, // kind_flag: struct (0) or union (1)
  { kind: 8, name: "TYPEDEF", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 9, name: "VOLATILE", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 10, name: "CONST", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 11, name: "RESTRICT", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 12, name: "FUNC", sizeField: "type", extraWords: 0, memberWords: 0 }, // type is a FUNC_PROTO; vlen is linkage
  { kind: 13, name: "FUNC_PROTO", sizeField: "type", extraWords: 0, memberWords: 2 }, // btf_param {name_off, type}
  { kind: 14, name: "VAR", sizeField: "type", extraWords: 1, memberWords: 0 }, // + btf_var {linkage}
  { kind: 15, name: "DATASEC", sizeField: "size", extraWords: 0, memberWords: 3 }, // btf_var_secinfo {type, offset, size}
  { kind: 16, name: "FLOAT", sizeField: "size", extraWords: 0, memberWords: 0 },
  { kind: 17, name: "DECL_TAG", sizeField: "type", extraWords: 1, memberWords: 0 }, // + btf_decl_tag {component_idx}
  { kind: 18, name: "TYPE_TAG", sizeField: "type", extraWords: 0, memberWords: 0 },
  { kind: 19, name: "ENUM64", sizeField: "size", extraWords: 0, memberWords: 3 }, // btf_enum64 {name_off, val_lo32, val_hi32}
] as const;

export type BtfKindName = (typeof BTF_KINDS)[number]["name"];

const KIND_BY_NUMBER = new Map<number, (typeof BTF_KINDS)[number]>(BTF_KINDS.map((k) => [k.kind, k]));

/** Kinds that only qualify or rename another type: sizes and shapes look through them. */
const MODIFIERS: ReadonlySet<BtfKindName> = new Set(["TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "TYPE_TAG"]);

export interface BtfType {
  readonly id: number;
  readonly kind: BtfKindName;
  readonly name: string;
  readonly vlen: number;
  readonly kindFlag: boolean;
  /** The third word of struct btf_type: a size or a type id, as BTF_KINDS says. */
  readonly sizeOrType: number;
  /** The words after struct btf_type that are not per-member (INT encoding, btf_array, btf_var, btf_decl_tag). */
  readonly extra: readonly number[];
  /** vlen records of memberWords words each; member names stay as string offsets. */
  readonly members: readonly (readonly number[])[];
}

export interface Btf {
  readonly file: string;
  /** Indexed by type id; id 0 is void and has no record (undefined). */
  readonly types: readonly (BtfType | undefined)[];
  /** The name at a string offset ("" for offset 0). */
  str(off: number): string;
}

/** Parses a .BTF section. Malformed data is an `elf-format` diagnostic naming the file. */
export function parseBtf(data: Uint8Array, file: string): Btf {
  const bad = (why: string): never => fail("elf-format", { file }, [`.BTF: ${why}`]);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < BTF_HEADER_MIN) bad(`section is ${data.length} bytes, shorter than the ${BTF_HEADER_MIN}-byte header`);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC) bad(magic === 0x9feb ? "big-endian BTF is not supported" : `bad magic 0x${magic.toString(16)}`);
  const hdrLen = view.getUint32(4, true);
  const typeOff = view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (hdrLen < BTF_HEADER_MIN || hdrLen > data.length) bad(`header length ${hdrLen} is outside the section (${data.length} bytes)`);
  const inside = (off: number, len: number) => hdrLen + off + len <= data.length;
  if (!inside(typeOff, typeLen)) bad(`type section (${typeLen} bytes at ${typeOff}) runs past the end`);
  if (!inside(strOff, strLen)) bad(`string section (${strLen} bytes at ${strOff}) runs past the end`);
  if (typeLen % 4 !== 0) bad(`type section length ${typeLen} is not a multiple of 4`);
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const decoder = new TextDecoder("utf-8");
  const str = (off: number): string => {
    if (off === 0) return "";
    if (off >= strings.length) bad(`string offset ${off} is outside the string section (${strings.length} bytes)`);
    const end = strings.indexOf(0, off);
    if (end < 0) bad(`string at offset ${off} is not NUL-terminated`);
    return decoder.decode(strings.subarray(off, end));
  };

  const types: (BtfType | undefined)[] = [undefined];
  const end = hdrLen + typeOff + typeLen;
  let p = hdrLen + typeOff;
  const word = (what: string): number => {
    if (p + 4 > end) bad(`type ${types.length} (${what}) runs past the end of the type section`);
    const w = view.getUint32(p, true);
    p += 4;
    return w;
  };
  while (p < end) {
    const id = types.length;
    const nameOff = word("name_off");
    const info = word("info");
    const sizeOrType = word("size/type");
    // btf.rst §2.1: bits 0-15 vlen, bits 24-28 kind, bit 31 kind_flag.
    const vlen = info & 0xffff;
    const kindNumber = (info >>> 24) & 0x1f;
    const k = KIND_BY_NUMBER.get(kindNumber) ?? bad(`type ${id} has unknown kind ${kindNumber}`);
    const extra: number[] = [];
    for (let i = 0; i < k.extraWords; i++) extra.push(word(k.name));
    const members: number[][] = [];
    for (let m = 0; m < vlen && k.memberWords > 0; m++) {
      const rec: number[] = [];
      for (let i = 0; i < k.memberWords; i++) rec.push(word(`${k.name} member ${m}`));
      members.push(rec);
    }
    types.push({ id, kind: k.name, name: str(nameOff), vlen, kindFlag: info >>> 31 === 1, sizeOrType, extra, members });
  }
  return { file, types, str };
}

function typeById(btf: Btf, id: number, what: string): BtfType {
  const t = btf.types[id];
  if (!t) fail("elf-format", { file: btf.file }, [`.BTF: ${what} refers to type ${id}, which ${id === 0 ? "is void" : "does not exist"}`]);
  return t;
}

/** Guards against reference cycles in corrupt BTF (the kernel's limit is 32 levels of modifiers). */
const MAX_CHAIN = 64;

/** The type after following typedefs and qualifiers. */
export function skipModifiers(btf: Btf, id: number, what: string): BtfType {
  let t = typeById(btf, id, what);
  for (let n = 0; MODIFIERS.has(t.kind); n++) {
    if (n > MAX_CHAIN) fail("elf-format", { file: btf.file }, [`.BTF: ${what}: type chain from ${id} is too long or cyclic`]);
    t = typeById(btf, t.sizeOrType, what);
  }
  return t;
}

/** Byte size of a type, as libbpf's btf__resolve_size computes it. */
export function resolveSize(btf: Btf, id: number, what: string): number {
  let mult = 1;
  let t = typeById(btf, id, what);
  for (let n = 0; ; n++) {
    if (n > MAX_CHAIN) fail("elf-format", { file: btf.file }, [`.BTF: ${what}: type chain from ${id} is too long or cyclic`]);
    switch (t.kind) {
      case "INT":
      case "STRUCT":
      case "UNION":
      case "ENUM":
      case "ENUM64":
      case "FLOAT":
      case "DATASEC":
        return mult * t.sizeOrType;
      case "PTR":
        return mult * 8; // BPF is a 64-bit target: pointers are 8 bytes
      case "ARRAY":
        mult *= t.extra[2]!; // btf_array.nelems
        t = typeById(btf, t.extra[0]!, what);
        break;
      case "TYPEDEF":
      case "VOLATILE":
      case "CONST":
      case "RESTRICT":
      case "TYPE_TAG":
      case "VAR":
        t = typeById(btf, t.sizeOrType, what);
        break;
      default:
        return fail("elf-format", { file: btf.file }, [`.BTF: ${what}: type ${t.id} (${t.kind}) has no size`]);
    }
  }
}

export function findDatasec(btf: Btf, name: string): BtfType | undefined {
  return btf.types.find((t) => t?.kind === "DATASEC" && t.name === name);
}

/** One entry of a DATASEC: a VAR placed at an offset in the section. */
export interface DatasecVar {
  readonly name: string;
  readonly varType: BtfType;
  readonly offset: number;
  readonly size: number;
}

export function datasecVars(btf: Btf, sec: BtfType): DatasecVar[] {
  return sec.members.map(([type, offset, size], i) => {
    const v = typeById(btf, type!, `${sec.name} entry ${i}`);
    if (v.kind !== "VAR") fail("elf-format", { file: btf.file }, [`.BTF: ${sec.name} entry ${i} is a ${v.kind}, not a VAR`]);
    return { name: v.name, varType: v, offset: offset!, size: size! };
  });
}

/**
 * The attributes a BTF-defined map declares with bpf_helpers.h's macros, by member name:
 *   `__uint(name, N)` is `int (*name)[N]`: a pointer to an array of N elements; N is the value.
 *   `__type(name, T)` is `T *name`: a pointer to T; the value is sizeof(T).
 *   `__array(name, ...)` (map-in-map and prog_array initialisers) is recorded as present only.
 */
export interface BtfMapAttrs {
  readonly uints: ReadonlyMap<string, number>;
  readonly typeSizes: ReadonlyMap<string, number>;
  readonly arrays: ReadonlySet<string>;
}

/** Member names that bpf_helpers.h declares with __type(); all others are __uint() or __array(). */
const TYPE_MEMBERS = new Set(["key", "value"]);
/** Member names that bpf_helpers.h declares with __array(). */
const ARRAY_MEMBERS = new Set(["values"]);

export function btfMapAttrs(btf: Btf, v: DatasecVar): BtfMapAttrs {
  const what = `map '${v.name}'`;
  const def = skipModifiers(btf, v.varType.sizeOrType, what);
  if (def.kind !== "STRUCT") fail("elf-map", { file: btf.file }, [v.name, `its definition is a ${def.kind}, not a struct`]);
  const uints = new Map<string, number>();
  const typeSizes = new Map<string, number>();
  const arrays = new Set<string>();
  for (const [nameOff, type] of def.members) {
    const name = btf.str(nameOff!);
    const m = `${what} member '${name}'`;
    if (ARRAY_MEMBERS.has(name)) {
      arrays.add(name);
      continue;
    }
    const ptr = skipModifiers(btf, type!, m);
    if (ptr.kind !== "PTR") fail("elf-map", { file: btf.file }, [v.name, `member '${name}' is a ${ptr.kind}, not a pointer as __uint()/__type() declare it`]);
    if (TYPE_MEMBERS.has(name)) {
      typeSizes.set(name, resolveSize(btf, ptr.sizeOrType, m));
      continue;
    }
    const arr = skipModifiers(btf, ptr.sizeOrType, m);
    if (arr.kind !== "ARRAY") fail("elf-map", { file: btf.file }, [v.name, `member '${name}' does not point to an array as __uint() declares it`]);
    uints.set(name, arr.extra[2]!);
  }
  return { uints, typeSizes, arrays };
}
