// The bit-level value domain of the match-action recovery (docs/asic-pipeline.md §Recovery).
// A value is 64 bits, least significant first; each bit is a constant or names where it
// comes from on the chip:
//   0 | 1            a constant
//   "p:A:r:i"        bit i (0 = LSB) of byte r of header instance A: A names the extraction
//                    (bounds check) that proved the byte, r is the byte's offset from the
//                    pointer that check tested (negative for bytes it proved before it, such
//                    as IPv4 options skipped on the way to L4); the same header found at
//                    several packet offsets has one label, so one PHV home (docs/asic-pipeline.md)
//   "m:NAME:i"       bit i of an intrinsic metadata field (pkt_len, ingress_ifindex)
//   "t:T:B:i"        bit i of byte B of table T's result (its action data)
//   "x:N:i"          bit i of computed temporary N (an ALU result held in a PHV container)
//   "d"              a bit above a 32-bit ALU result: unknown, refused wherever it matters
//   "^T1^T2.."       the XOR of the terms T (labels above, or 1 for a NOT): a GF(2)-linear
//                    function of fields, such as a CRC computed bit by bit; it stays symbolic
//                    through shifts and masks and becomes one hash-unit op where it is used
// Shifts by constants, ands/ors with constants, byte swaps and 32-bit truncation move these
// labels without computing anything, so the byte-by-byte assembly of a MAC address or
// `ihl = byte & 0xf` stay fields (packet bit ranges) and never become ALU work.
export type Bit = 0 | 1 | string;
export type Bits = readonly Bit[];

export const W = 64;

export function constBits(v: bigint, width = W): Bit[] {
  const out: Bit[] = [];
  const u = BigInt.asUintN(width, v);
  for (let i = 0; i < width; i++) out.push(((u >> BigInt(i)) & 1n) === 1n ? 1 : 0);
  return out;
}

export function isConst(b: Bits): boolean {
  return b.every((x) => x === 0 || x === 1);
}

export function toBigInt(b: Bits): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 1n) | (b[i] === 1 ? 1n : 0n);
  return v;
}

export function widen(b: Bits): Bit[] {
  return [...b, ...new Array<Bit>(Math.max(0, W - b.length)).fill(0)].slice(0, W);
}

/** The 8 bits of byte `rel` of header instance `anchor` (LSB first). */
export function packetByte(anchor: string, rel: number): Bit[] {
  return Array.from({ length: 8 }, (_, i) => `p:${anchor}:${rel}:${i}`);
}

/** A packet bit label's parts: header instance, byte offset in it, bit. */
export function packetLabel(l: string): { readonly anchor: string; readonly rel: number; readonly bit: number; readonly byte: string } | undefined {
  if (!l.startsWith("p:")) return undefined;
  const cut = l.lastIndexOf(":"), mid = l.lastIndexOf(":", cut - 1);
  return { anchor: l.slice(2, mid), rel: Number(l.slice(mid + 1, cut)), bit: Number(l.slice(cut + 1)), byte: l.slice(0, cut) };
}

export function labelled(prefix: string, width: number): Bit[] {
  return widen(Array.from({ length: width }, (_, i) => `${prefix}:${i}`));
}

/** Number of low bits that may be non-zero. */
export function significant(b: Bits): number {
  for (let i = b.length - 1; i >= 0; i--) if (b[i] !== 0) return i + 1;
  return 0;
}

export function shl(b: Bits, k: number): Bit[] {
  return widen([...new Array<Bit>(k).fill(0), ...b.slice(0, W - k)]);
}

export function lshr(b: Bits, k: number): Bit[] {
  return widen(b.slice(k));
}

export function ashr(b: Bits, k: number): Bit[] {
  return [...b.slice(k), ...new Array<Bit>(k).fill(b[W - 1]!)];
}

/** Byte reversal of the low `bytes` bytes (the rest zero), as BPF's be16/32/64 on a little-endian host. */
export function bswap(b: Bits, bytes: number): Bit[] {
  const out: Bit[] = [];
  for (let byte = bytes - 1; byte >= 0; byte--) out.push(...b.slice(byte * 8, byte * 8 + 8));
  return widen(out);
}

export function trunc(b: Bits, width: number): Bit[] {
  return widen(b.slice(0, width));
}

export function sext(b: Bits, from: number, to = W): Bit[] {
  const sign = b[from - 1]!;
  return widen([...b.slice(0, from), ...new Array<Bit>(to - from).fill(sign)]);
}

/**
 * A bitwise operation that is exact on labels when, at every position, one operand is a
 * constant (or both bits are the same label); undefined when it needs an ALU.
 */
export function bitwise(op: "and" | "or" | "xor", a: Bits, b: Bits): Bit[] | undefined {
  const out: Bit[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    const r = bitOp(op, x, y);
    if (r === undefined) return undefined;
    out.push(r);
  }
  return out;
}

function bitOp(op: "and" | "or" | "xor", x: Bit, y: Bit): Bit | undefined {
  const cx = x === 0 || x === 1, cy = y === 0 || y === 1;
  if (cx && cy) return op === "and" ? ((x & y) as Bit) : op === "or" ? ((x | y) as Bit) : ((x ^ y) as Bit);
  if (cx || cy) {
    const c = (cx ? x : y) as 0 | 1, s = cx ? y : x;
    if (op === "and") return c === 0 ? 0 : s;
    if (op === "or") return c === 1 ? 1 : s;
    return c === 0 ? s : s === "d" ? "d" : xorBits(s, 1);
  }
  if (x === y) return op === "xor" ? 0 : x;
  if (op === "xor") return x === "d" || y === "d" ? "d" : xorBits(x, y);
  return undefined;
}

/** The terms of a bit as an XOR (a constant 1 is the term "1"). */
export function xorTerms(b: Bit): string[] {
  if (b === 0) return [];
  if (b === 1) return ["1"];
  return b.startsWith("^") ? b.slice(1).split("^") : [b];
}

export function isXor(b: Bit): boolean {
  return typeof b === "string" && b.startsWith("^");
}

/** x ^ y over GF(2): the symmetric difference of their terms, in one spelling (sorted). */
function xorBits(x: Bit, y: Bit): Bit {
  const terms = new Set(xorTerms(x));
  for (const t of xorTerms(y)) if (!terms.delete(t)) terms.add(t);
  if (terms.size === 0) return 0;
  if (terms.size === 1) {
    const only = [...terms][0]!;
    return only === "1" ? 1 : only;
  }
  return `^${[...terms].sort().join("^")}`;
}

/** A hash unit's output: bit k is the parity of the input bits `rows[k]` selects ('1' at position i: input bit i). */
export function hashValue(rows: readonly string[], input: bigint): bigint {
  let out = 0n;
  rows.forEach((row, k) => {
    let parity = 0n;
    for (let i = 0; i < row.length; i++) if (row[i] === "1") parity ^= (input >> BigInt(i)) & 1n;
    out |= parity << BigInt(k);
  });
  return out;
}

export function hasDirty(b: Bits): boolean {
  return b.includes("d");
}

export function key(b: Bits): string {
  return b.join(",");
}
