// C11 §6.3.1 and §6.4.4.1 as rows: the usual arithmetic conversions of two types, and
// integer constants' values and types, on the BPF target (LP64: long is 64 bits).
import { describe, expect, it } from "vitest";
import { parseIntConstant } from "../../../frontends/c/lower.js";
import { describe as typeName, INT_TYPES, promote, usualArithmetic, type IntType } from "../../../frontends/c/types.js";

const T = INT_TYPES;

/** [left, right, common type]: §6.3.1.8. */
const CONVERSIONS: readonly [IntType, IntType, IntType][] = [
  [T.char, T.uchar, T.int], // both promote to int
  [T.bool, T.short, T.int],
  [T.ushort, T.ushort, T.int], // unsigned short promotes to int: it holds every value
  [T.int, T.uint, T.uint], // same rank: unsigned wins
  [T.uint, T.long, T.long], // long holds every unsigned int
  [T.ulong, T.int, T.ulong],
  [T.long, T.ulong, T.ulong],
  [T.llong, T.ulong, T.ullong], // long long cannot hold every unsigned long: unsigned long long
  [T.ullong, T.long, T.ullong],
  [T.llong, T.long, T.llong], // higher rank
  [T.uint, T.llong, T.llong],
  [T.uchar, T.uint, T.uint],
];

/** [constant, value, type]: §6.4.4.1's lists, decimal and not. */
const CONSTANTS: readonly [string, bigint, IntType][] = [
  ["0", 0n, T.int],
  ["2147483647", 2147483647n, T.int],
  ["2147483648", 2147483648n, T.long], // decimal: int, long, long long
  ["0x7fffffff", 0x7fffffffn, T.int],
  ["0x80000000", 0x80000000n, T.uint], // hex: unsigned int before long
  ["0xffffffff", 0xffffffffn, T.uint],
  ["0x100000000", 0x100000000n, T.long],
  ["0xffffffffffffffff", 0xffffffffffffffffn, T.ulong],
  ["18446744073709551615", 0xffffffffffffffffn, T.ullong], // too big for every signed type: clang takes it as unsigned long long, with a warning
  ["1u", 1n, T.uint],
  ["4294967296u", 4294967296n, T.ulong],
  ["1l", 1n, T.long],
  ["1ul", 1n, T.ulong],
  ["1ll", 1n, T.llong],
  ["1ULL", 1n, T.ullong],
  ["010", 8n, T.int], // octal
  ["0b101", 5n, T.int], // GNU binary constants
];

describe("C integer conversions (C11 §6.3.1)", () => {
  it.each(CONVERSIONS.map(([a, b, r]) => [typeName(a), typeName(b), typeName(r), a, b, r] as const))("%s with %s is %s", (_a, _b, _r, a, b, r) => {
    expect(usualArithmetic(a, b)).toBe(r);
    expect(usualArithmetic(b, a)).toBe(r);
  });

  it("promotes every type of rank below int to int, and leaves the others", () => {
    for (const t of [T.bool, T.char, T.schar, T.uchar, T.short, T.ushort]) expect(promote(t)).toBe(T.int);
    for (const t of [T.int, T.uint, T.long, T.ulong, T.llong, T.ullong]) expect(promote(t)).toBe(t);
  });
});

describe("integer constants (C11 §6.4.4.1)", () => {
  it.each(CONSTANTS.map(([text, v, t]) => [text, v, typeName(t), t] as const))("%s is %s of type %s", (text, value, _name, type) => {
    expect(parseIntConstant(text)).toEqual({ value, type });
  });
});
