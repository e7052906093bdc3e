// C types as the BPF target sees them (clang -target bpf: LP64, little-endian, char
// signed), their layout (C11 §6.7.2.1 and the SysV/Itanium bit-field rules clang follows
// for BPF), and the integer conversions of C11 §6.3.1: promotions and the usual
// arithmetic conversions, which packet code depends on.

/** `align`: an alignment set by __attribute__((aligned(N))) on a typedef (GNU: it changes only the alignment). */
export type CType = (
  | { readonly k: "void" }
  | { readonly k: "int"; readonly size: 1 | 2 | 4 | 8 | 16; readonly signed: boolean; readonly rank: number; readonly bool?: boolean }
  | { readonly k: "float"; readonly size: number }
  | { readonly k: "ptr"; readonly to: CType }
  | { readonly k: "array"; readonly of: CType; readonly n?: number }
  | { readonly k: "func"; readonly ret: CType; readonly params: readonly CType[]; readonly variadic: boolean; readonly prototyped: boolean }
  | { readonly k: "record"; readonly rec: RecordType }
  | { readonly k: "enum"; readonly tag?: string; readonly base: IntType }
) & { readonly align?: number };

export type IntType = Extract<CType, { k: "int" }>;

export interface Field {
  readonly name?: string;
  readonly type: CType;
  /** Byte offset of the field (of its storage unit's first byte for bit-fields: see bitOffset). */
  readonly offset: number;
  /** For bit-fields: width, and bit offset from the start of the record. */
  readonly bitWidth?: number;
  readonly bitOffset?: number;
}

/** A struct or union; filled in when its definition is seen (tags may be used before). */
export interface RecordType {
  readonly tag?: string;
  readonly union: boolean;
  fields?: Field[];
  size: number;
  align: number;
}

/** Integer types by C11 §6.3.1.1 rank: _Bool < char < short < int < long < long long < __int128. */
export const INT_TYPES = {
  bool: { k: "int", size: 1, signed: false, rank: 0, bool: true },
  char: { k: "int", size: 1, signed: true, rank: 1 }, // plain char is signed on BPF, as on x86
  schar: { k: "int", size: 1, signed: true, rank: 1 },
  uchar: { k: "int", size: 1, signed: false, rank: 1 },
  short: { k: "int", size: 2, signed: true, rank: 2 },
  ushort: { k: "int", size: 2, signed: false, rank: 2 },
  int: { k: "int", size: 4, signed: true, rank: 3 },
  uint: { k: "int", size: 4, signed: false, rank: 3 },
  long: { k: "int", size: 8, signed: true, rank: 4 },
  ulong: { k: "int", size: 8, signed: false, rank: 4 },
  llong: { k: "int", size: 8, signed: true, rank: 5 },
  ullong: { k: "int", size: 8, signed: false, rank: 5 },
  int128: { k: "int", size: 16, signed: true, rank: 6 },
  uint128: { k: "int", size: 16, signed: false, rank: 6 },
} as const satisfies Record<string, IntType>;

export const VOID: CType = { k: "void" };
export const ptrTo = (to: CType): CType => ({ k: "ptr", to });

/**
 * Type specifier keyword combinations (C11 §6.7.2p2), as sorted word lists → type.
 * `signed`/`int` are implied where the standard allows leaving them out.
 */
const SPECIFIER_COMBINATIONS: readonly [string, CType][] = [
  ["void", VOID],
  ["_Bool", INT_TYPES.bool],
  ["char", INT_TYPES.char],
  ["char signed", INT_TYPES.schar],
  ["char unsigned", INT_TYPES.uchar],
  ["short", INT_TYPES.short], ["short signed", INT_TYPES.short], ["int short", INT_TYPES.short], ["int short signed", INT_TYPES.short],
  ["short unsigned", INT_TYPES.ushort], ["int short unsigned", INT_TYPES.ushort],
  ["int", INT_TYPES.int], ["signed", INT_TYPES.int], ["int signed", INT_TYPES.int],
  ["unsigned", INT_TYPES.uint], ["int unsigned", INT_TYPES.uint],
  ["long", INT_TYPES.long], ["long signed", INT_TYPES.long], ["int long", INT_TYPES.long], ["int long signed", INT_TYPES.long],
  ["long unsigned", INT_TYPES.ulong], ["int long unsigned", INT_TYPES.ulong],
  ["long long", INT_TYPES.llong], ["long long signed", INT_TYPES.llong], ["int long long", INT_TYPES.llong], ["int long long signed", INT_TYPES.llong],
  ["long long unsigned", INT_TYPES.ullong], ["int long long unsigned", INT_TYPES.ullong],
  ["__int128", INT_TYPES.int128], ["__int128 signed", INT_TYPES.int128], ["__int128 unsigned", INT_TYPES.uint128],
  ["float", { k: "float", size: 4 }], ["double", { k: "float", size: 8 }], ["double long", { k: "float", size: 16 }],
];
const BY_WORDS = new Map(SPECIFIER_COMBINATIONS.map(([w, t]) => [w, t]));

/** The type named by a list of specifier keywords, or undefined when the combination is invalid. */
export function typeOfSpecifiers(words: readonly string[]): CType | undefined {
  return BY_WORDS.get([...words].sort().join(" "));
}

export function isInteger(t: CType): t is IntType | Extract<CType, { k: "enum" }> {
  return t.k === "int" || t.k === "enum";
}

export function isScalar(t: CType): boolean {
  return isInteger(t) || t.k === "ptr";
}

/** The integer type an integer or enum type computes in. */
export function intOf(t: CType): IntType {
  if (t.k === "int") return t;
  if (t.k === "enum") return t.base;
  if (t.k === "ptr") return INT_TYPES.ulong;
  throw new Error(`intOf: not an integer type (${describe(t)})`);
}

/** C11 §6.3.1.1p2: types of rank below int (and bit-fields that fit) promote to int. */
export function promote(t: CType): IntType {
  const i = intOf(t);
  return i.rank < 3 ? INT_TYPES.int : i;
}

/** C11 §6.3.1.8: the usual arithmetic conversions of two integer operands. */
export function usualArithmetic(a: CType, b: CType): IntType {
  const x = promote(a);
  const y = promote(b);
  if (x.size === y.size && x.signed === y.signed && x.rank === y.rank) return x;
  if (x.signed === y.signed) return x.rank >= y.rank ? x : y;
  const [u, s] = x.signed ? [y, x] : [x, y];
  if (u.rank >= s.rank) return u;
  if (s.size > u.size) return s; // the signed type holds every value of the unsigned one
  return unsignedOf(s);
}

export function unsignedOf(t: IntType): IntType {
  const found = Object.values(INT_TYPES).find((x) => x.rank === t.rank && !x.signed && !("bool" in x));
  return found ?? t;
}

export function sizeOf(t: CType): number | undefined {
  switch (t.k) {
    case "void":
      return 1; // GNU: arithmetic on void * steps by one byte
    case "int":
    case "float":
      return t.size;
    case "enum":
      return t.base.size;
    case "ptr":
      return 8;
    case "array": {
      const e = sizeOf(t.of);
      return t.n === undefined || e === undefined ? undefined : e * t.n;
    }
    case "record":
      return t.rec.fields ? t.rec.size : undefined;
    case "func":
      return 1; // GNU
  }
}

export function alignOf(t: CType): number {
  if (t.align !== undefined) return t.align;
  switch (t.k) {
    case "int":
    case "float":
      return Math.min(t.size, 16);
    case "enum":
      return t.base.size;
    case "ptr":
      return 8;
    case "array":
      return alignOf(t.of);
    case "record":
      return t.rec.align;
    default:
      return 1;
  }
}

export interface MemberDecl {
  readonly name?: string;
  readonly type: CType;
  readonly bitWidth?: number;
  /** __attribute__((aligned(N))) on the member. */
  readonly align?: number;
}

/**
 * Lays out a struct or union as clang does for BPF: each member at the next offset
 * aligned to its alignment (1 when packed); a bit-field goes into the current storage
 * unit of its declared type unless it would straddle a boundary of that type's alignment
 * (then it starts the next one); a zero-width bit-field aligns to its type; unnamed
 * bit-fields do not raise the record's alignment (Itanium C++ ABI rules clang applies
 * to C); the size is rounded up to the alignment.
 */
export function layoutRecord(rec: RecordType, members: readonly MemberDecl[], packed: boolean, alignAttr?: number): void {
  const fields: Field[] = [];
  let bit = 0; // next free bit
  let maxBits = 0;
  let align = 1;
  for (const m of members) {
    const size = sizeOf(m.type) ?? 0;
    const natural = packed ? 1 : alignOf(m.type);
    const a = Math.max(natural, m.align ?? 1);
    if (m.bitWidth !== undefined) {
      const unitBits = size * 8;
      if (m.bitWidth === 0) {
        bit = rec.union ? 0 : Math.ceil(bit / (alignOf(m.type) * 8)) * alignOf(m.type) * 8;
        continue;
      }
      let start = rec.union ? 0 : bit;
      if (!packed && Math.floor(start / unitBits) !== Math.floor((start + m.bitWidth - 1) / unitBits)) start = Math.ceil(start / unitBits) * unitBits;
      const unitStart = packed ? Math.floor(start / 8) : Math.floor(start / unitBits) * size;
      fields.push({ name: m.name, type: m.type, offset: unitStart, bitWidth: m.bitWidth, bitOffset: start });
      if (m.name !== undefined) align = Math.max(align, a);
      bit = start + m.bitWidth;
      maxBits = Math.max(maxBits, bit);
      continue;
    }
    let start = rec.union ? 0 : Math.ceil(bit / (a * 8)) * a * 8;
    fields.push({ name: m.name, type: m.type, offset: start / 8 });
    align = Math.max(align, a);
    bit = start + size * 8;
    maxBits = Math.max(maxBits, bit);
    start = bit;
  }
  if (alignAttr) align = Math.max(align, alignAttr);
  rec.fields = fields;
  rec.align = align;
  rec.size = Math.ceil(Math.ceil(maxBits / 8) / align) * align;
}

/** Finds a member by name, looking into anonymous struct/union members (C11 §6.7.2.1p13). */
export function findField(rec: RecordType, name: string): { field: Field; offset: number } | undefined {
  for (const f of rec.fields ?? []) {
    if (f.name === name) return { field: f, offset: f.offset };
    if (f.name === undefined && f.type.k === "record") {
      const inner = findField(f.type.rec, name);
      if (inner) return { field: inner.field, offset: f.offset + inner.offset };
    }
  }
  return undefined;
}

export function describe(t: CType): string {
  switch (t.k) {
    case "void":
      return "void";
    case "int": {
      if (t.bool) return "_Bool";
      const base = { 1: "char", 2: "short", 4: "int", 8: t.rank === 5 ? "long long" : "long", 16: "__int128" }[t.size];
      return `${t.signed ? "" : "unsigned "}${base}`;
    }
    case "float":
      return t.size === 4 ? "float" : "double";
    case "ptr":
      return `${describe(t.to)} *`;
    case "array":
      return `${describe(t.of)}[${t.n ?? ""}]`;
    case "func":
      return `${describe(t.ret)} (${t.params.map(describe).join(", ")})`;
    case "record":
      return `${t.rec.union ? "union" : "struct"} ${t.rec.tag ?? "<anonymous>"}`;
    case "enum":
      return `enum ${t.tag ?? "<anonymous>"}`;
  }
}

/** Truncates a constant to a type's width and reads it with the type's signedness. */
export function normalize(v: bigint, t: CType): bigint {
  if (t.k === "ptr") return BigInt.asUintN(64, v);
  const i = intOf(t);
  if (i.bool) return v !== 0n ? 1n : 0n;
  const bits = i.size * 8;
  return i.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}
