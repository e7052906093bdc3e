// Recovery of the match-action program from the IR (docs/asic-pipeline.md §Recovery).
//
// The entry function is evaluated symbolically over every path (it must be loop-free:
// the build unrolls bounded loops for a target without back edges). Values live in the
// bit domain of bits.ts; the stack is a symbolic byte array, so header slots, keys built
// for map.lookup and C structs are just stores and loads. Along a path the evaluator
// records:
//   - atoms: the conditions the path took (packet length >= N, a table hit, a comparison
//     of fields/results/temporaries), each once, with the outcome;
//   - parser events: the bounds checks (header extractions) and the packet-field
//     conditions between them, in order: the parse graph is built from these;
//   - tables: each map.lookup becomes a match table keyed by the bits of its key;
//   - temporaries: computation that is not a field (ALU work), shared between paths;
//   - effects: verdict, redirect, packet writes, adjust_head, counter and register updates.
// Invariants it needs: one function (inlined), no back edges; every packet offset a
// constant on each path, or made of at most 4 packet bits (a header-length field such as
// ihl*4, which forks the path per value: the parser's rows per ihl). Anything else is a construct the pipeline cannot run: it is
// collected (with the instruction) and the build refused with the whole list.
import { usesOf, type Block, type Func, type Inst, type Module } from "../../../ir/core/ir.js";
import { CTX_FIELDS } from "../../../ir/core/ops.js";
import type { MapDef } from "../../../runtime/maps/def.js";
import { ETH_HLEN, XDP_FRAME_RESERVED, XDP_HEADROOM } from "../../../runtime/interp/xdp.js";
import * as B from "./bits.js";
import type { Bit, Bits } from "./bits.js";

export type CmpCond = "eq" | "ne" | "ugt" | "uge" | "ult" | "ule" | "sgt" | "sge" | "slt" | "sle" | "set";

export type Atom =
  /** pkt_len >= n (a bounds check, adjust_head's room). */
  | { readonly kind: "len"; readonly n: number }
  /** the lookup of table T hit. */
  | { readonly kind: "hit"; readonly table: number }
  /** a cond b on `width` bits (64, or 32 for the icmp32 forms). */
  | { readonly kind: "cmp"; readonly cond: CmpCond; readonly width: number; readonly a: Bits; readonly b: Bits }
  /** the data plane's insert into `map` (a used map.update result: 0 when it inserted) succeeded. */
  | { readonly kind: "learned"; readonly map: string }
  /**
   * header `anchor` was extracted: its validity bit, which the parser sets. Not made by the
   * evaluator: compile/pipeline.ts turns a path's bounds check that extracts a header (an
   * atom with `valid`) into this atom, so control flow reads the bit rather than a gateway.
   */
  | { readonly kind: "valid"; readonly anchor: string };

export interface MatchTable {
  readonly id: number;
  readonly map: MapDef;
  /** The key as the program built it: keySize bytes in memory order, 8 bits each (LSB first). */
  readonly key: Bits;
}

export type TempOp = "add" | "sub" | "and" | "or" | "xor" | "hash";
export interface Temp {
  readonly id: number;
  readonly op: TempOp;
  /** Operands: 32 bits each (the ALU width); a hash's `a` is its input bits (any number), `b` empty. */
  readonly a: Bits;
  readonly b: Bits;
  /** Bits of the result that can be non-zero (at most 32). */
  readonly width: number;
  /** hash: per result bit, the input bits it is the XOR of ('1' at position i: bit i of `a`). */
  readonly rows?: readonly string[];
}

/** A lookahead constraint of a parser condition: packet byte `abs` masked with `mask` equals `value`. */
export interface ByteConstraint {
  readonly abs: number;
  readonly mask: number;
  readonly value: number;
}

/**
 * check: a bounds check proving bytes [start, end) (absolute); `anchor` names the header
 * instance it extracts and `ref` is the absolute offset of the pointer it tested (byte
 * `abs` is byte `abs - ref` of the header). cond: a packet-field condition, with its
 * constraints at the packet offsets this path found the fields at.
 */
export type ParserEvent =
  | { readonly kind: "check"; readonly start: number; readonly end: number; readonly ok: boolean; readonly anchor: string; readonly ref: number }
  | { readonly kind: "cond"; readonly atom: number; readonly value: boolean; readonly constraints: readonly ByteConstraint[] };

export interface StatefulEffect {
  /**
   * count: atomic add into an array element; write: a store into one; direct: atomic add
   * into the matched entry of table `table` (a direct counter); insert: map.update of a
   * hash map (index = the key bits, offset = the update flags, value = the value bits).
   * read, rmw, branch: made from reads and updates of one register by analysis/stateful.ts.
   */
  readonly kind: "count" | "write" | "direct" | "insert" | "read" | "rmw" | "branch";
  readonly map: MapDef;
  readonly table?: number;
  /** Element index (u32), or the key bits of an insert. */
  readonly index: Bits;
  /** Byte offset in the element and access size. */
  readonly offset: number;
  readonly size: number;
  /** The addend (count) or the value (write). */
  readonly value: Bits;
  readonly insn?: number;
  /** insert whose result the program tests: the atom of its success. */
  readonly learned?: number;
  /** rmw: element = element alu value. */
  readonly alu?: Exclude<TempOp, "hash">;
  /** read, rmw (and a count or write of a register the path also reads): the direct table whose value bytes the SALU returns (the element before the update). */
  readonly data?: number;
  /** branch: the SALU compares the old element (bytes offset..offset+size) with `value` and runs one list or the other. */
  readonly branch?: { readonly atom: number; readonly cond: CmpCond; readonly width: number; readonly oldRight: boolean; readonly then: readonly StatefulEffect[]; readonly else: readonly StatefulEffect[] };
}

export interface Path {
  /** Conditions taken; `valid` when the atom is a bounds check that extracts a header: its validity bit says it. */
  readonly atoms: readonly { readonly atom: number; readonly value: boolean; readonly valid?: string }[];
  readonly parser: readonly ParserEvent[];
  readonly verdict: Bits;
  readonly redirect?: Bits;
  /** Net adjust_head: the output starts at this offset of the input packet. */
  readonly delta: number;
  /** Packet bytes written, by absolute offset in the input packet's coordinates. */
  readonly writes: ReadonlyMap<number, Bits>;
  /** Every packet byte this path's checks proved (absolute offset), as its header byte label `p:A:r`. */
  readonly bytes: ReadonlyMap<number, string>;
  readonly stateful: readonly StatefulEffect[];
}

export interface Problem {
  readonly insn?: number;
  readonly message: string;
}

export interface Recovered {
  readonly atoms: readonly Atom[];
  readonly tables: readonly MatchTable[];
  readonly temps: readonly Temp[];
  readonly paths: readonly Path[];
  readonly problems: readonly Problem[];
}

/** Paths beyond this many: the program is refused (the predicates over them would not fit a chip's gateways). */
export const MAX_PATHS = 4096;
/** Forks explored (paths cut short by a refusal included), a bound on the analysis' time. */
const MAX_FORKS = 50_000;
/** A packet offset may depend on this many packet bits (IPv4's ihl: 4, 16 parser rows). */
const MAX_LENGTH_FIELD_BITS = 4;
/** Times one block may run on one path (an unrolled loop's trip count). */
const MAX_TRIPS = 16;

type Sym =
  | { readonly k: "v"; readonly bits: Bits }
  | { readonly k: "b"; readonly value: boolean }
  | { readonly k: "c"; readonly atom: number; readonly neg: boolean; readonly check?: { readonly start: number; readonly end: number; readonly anchor: string; readonly ref: number } }
  | { readonly k: "ctx" }
  | { readonly k: "map"; readonly name: string }
  /** A packet pointer at absolute offset `off`, formed at `org`: the data pointer, or the last add of a value (not a constant) to one. */
  | { readonly k: "pkt"; readonly off: number; readonly org: number }
  | { readonly k: "end" }
  | { readonly k: "stack"; readonly off: number }
  | { readonly k: "tv"; readonly table: number; readonly off: number }
  | { readonly k: "elem"; readonly map: MapDef; readonly index: Bits; readonly off: number; readonly valid: Sym }
  /** A map.update's result, whose only use is a test against 0: the learn's success bit. */
  | { readonly k: "lr"; readonly atom: number; readonly map: string };

interface State {
  env: Map<number, Sym>;
  stack: Map<number, Bits>;
  /** Pointers spilled to the stack, by slot offset. */
  spills: Map<number, Sym>;
  writes: Map<number, Bits>;
  /** Where the program's `data` is, in input-packet coordinates (adjust_head moves it). */
  base: number;
  /** Proven: pkt_len >= knownGe, pkt_len < knownLt. */
  knownGe: number;
  knownLt: number;
  atoms: { atom: number; value: boolean }[];
  decided: Map<number, boolean>;
  parser: ParserEvent[];
  stateful: StatefulEffect[];
  /** Maps the path inserted into, with the atom of the insert's success when the program tests it. */
  inserted: Map<string, number | undefined>;
  redirect?: Bits;
  visits: Map<string, number>;
  /** The checks that proved packet bytes: [lo, hi) as bytes `lo - ref`.. of header `anchor`. */
  proofs: { readonly anchor: string; readonly lo: number; readonly hi: number; readonly ref: number }[];
  /** Times each check instruction ran on this path (an unrolled loop's header stack: one instance per trip). */
  checkRuns: Map<string, number>;
  /** Packet bits whose value the path forked on (a length field's parser rows): computation from them is constant here. */
  known: Map<string, 0 | 1>;
}

function clone(s: State): State {
  return { ...s, env: new Map(s.env), stack: new Map(s.stack), spills: new Map(s.spills), writes: new Map(s.writes), atoms: [...s.atoms], decided: new Map(s.decided), parser: [...s.parser], stateful: [...s.stateful], inserted: new Map(s.inserted), visits: new Map(s.visits), proofs: [...s.proofs], checkRuns: new Map(s.checkRuns), known: new Map(s.known) };
}

class Refused extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

const DIRTY = (): Bit[] => new Array<Bit>(B.W).fill("d");

export function recover(module: Module): Recovered {
  const atoms: Atom[] = [];
  const atomIds = new Map<string, number>();
  const tables: MatchTable[] = [];
  const tableIds = new Map<string, number>();
  const temps: Temp[] = [];
  const tempIds = new Map<string, number>();
  const paths: Path[] = [];
  const problems = new Map<string, Problem>();
  const func: Func = module.funcs[0]!;
  const blocks = new Map(func.blocks.map((b) => [b.name, b]));
  const mapDef = (name: string) => module.maps.find((m) => m.name === name)!;
  const used = new Set(func.blocks.flatMap((b) => [...b.insts.flatMap((i) => usesOf(i)), ...usesOf(b.term)]));
  let forks = 0;

  let insn: number | undefined;
  /** The instruction being run, named for anchors: its BPF origin, or block.index when it has none. */
  let site = "";
  const refuse = (message: string): never => {
    throw new Refused({ insn, message });
  };
  if (module.funcs.length > 1) for (const f of module.funcs.slice(1)) problems.set(`call ${f.name}`, { message: `function ${f.name} is not inlined: a pipeline has no calls` });

  const atomOf = (a: Atom): number => {
    const k = a.kind === "cmp" ? `cmp:${a.cond}:${a.width}:${B.key(a.a)}|${B.key(a.b)}` : a.kind === "len" ? `len:${a.n}` : a.kind === "hit" ? `hit:${a.table}` : a.kind === "learned" ? `learned:${a.map}:${insn}` : `valid:${a.anchor}`;
    let id = atomIds.get(k);
    if (id === undefined) {
      id = atoms.length;
      atoms.push(a);
      atomIds.set(k, id);
    }
    return id;
  };
  /** The temporary a value is exactly (its labelled bits, zeros above), if any. */
  const tempIn = (v: Bits): Temp | undefined => {
    const m = typeof v[0] === "string" && /^x:(\d+):0$/.exec(v[0]);
    if (!m) return undefined;
    const id = Number(m[1]);
    let k = 0;
    while (k < 32 && v[k] === `x:${id}:${k}`) k++;
    // All of the temporary (a masked part of it is another value), and nothing else.
    return k === temps[id]!.width && v.slice(k, 32).every((q) => q === 0) ? temps[id] : undefined;
  };
  /** The summands of an add tree (the adder chains of checksums), to re-associate them. */
  const addLeaves = (v: Bits): Bits[] => {
    const t = tempIn(v);
    return t && t.op === "add" ? [...addLeaves(t.a), ...addLeaves(t.b)] : [v.slice(0, 32)];
  };
  const tempOf = (op: TempOp, a: Bits, b: Bits): Bit[] => {
    const a32 = a.slice(0, 32), b32 = b.slice(0, 32);
    if (B.hasDirty(a32) || B.hasDirty(b32)) return DIRTY();
    if (op === "add") {
      // A balanced tree of adds (mod 2^32 they associate): a chain of n adds takes n stages, a tree log2(n).
      const leaves = [...addLeaves(a32), ...addLeaves(b32)];
      if (leaves.length > 2) {
        let level: Bits[] = leaves;
        while (level.length > 1) {
          const next: Bits[] = [];
          for (let i = 0; i + 1 < level.length; i += 2) next.push(rawTemp("add", level[i]!, level[i + 1]!));
          if (level.length % 2) next.push(level.at(-1)!);
          level = next;
        }
        return B.widen(level[0]!);
      }
    }
    return rawTemp(op, a32, b32);
  };
  /**
   * XORs of fields (analysis/bits.ts "^..." bits) where they are used: each new one becomes a
   * bit of a hash temporary (up to 32 to a container), whose op is a GF(2) matrix over its
   * input bits, as a chip's hash units compute CRCs of crossbar bits.
   */
  const hashBits = new Map<string, string>();
  const materialize = (bits: Bits): Bit[] => {
    const fresh = [...new Set(bits.filter((b): b is string => typeof b === "string" && B.isXor(b) && !hashBits.has(b)))];
    for (let i = 0; i < fresh.length; i += 32) {
      const group = fresh.slice(i, i + 32);
      const inputs = [...new Set(group.flatMap((c) => B.xorTerms(c)).filter((t) => t !== "1"))].sort();
      const withOne = group.some((c) => B.xorTerms(c).includes("1"));
      const a: Bit[] = [...inputs, ...(withOne ? [1 as const] : [])];
      const index = new Map(inputs.map((l, k) => [l, k]));
      const rows = group.map((c) => {
        const row = new Array<string>(a.length).fill("0");
        for (const t of B.xorTerms(c)) row[t === "1" ? inputs.length : index.get(t)!] = "1";
        return row.join("");
      });
      const id = temps.length;
      temps.push({ id, op: "hash", a, b: [], width: group.length, rows });
      group.forEach((c, k) => hashBits.set(c, `x:${id}:${k}`));
    }
    return bits.map((b) => (typeof b === "string" && B.isXor(b) ? hashBits.get(b)! : b));
  };
  const rawTemp = (op: TempOp, a32In: Bits, b32In: Bits): Bit[] => {
    const a32 = materialize(a32In), b32 = materialize(b32In);
    // Commutative operations: one order, so that the same computation on two paths is one temporary.
    const [x, y] = op !== "sub" && B.key(b32) < B.key(a32) ? [b32, a32] : [a32, b32];
    const k = `${op}:${B.key(x)}|${B.key(y)}`;
    // The result's width bound: bits above it are zero in the exact result and in the 32-bit container alike.
    const sa = B.significant(x), sb = B.significant(y);
    const bound = op === "and" ? Math.min(sa, sb) : op === "or" || op === "xor" ? Math.max(sa, sb) : op === "add" ? Math.max(sa, sb) + 1 : 32;
    let id = tempIds.get(k);
    if (id === undefined) {
      id = temps.length;
      temps.push({ id, op, a: x, b: y, width: Math.min(32, bound) });
      tempIds.set(k, id);
    }
    // A sum that may carry out of the 32-bit container has unknown high bits.
    return Array.from({ length: B.W }, (_, i) => (i < Math.min(32, bound) ? `x:${id}:${i}` : i >= 32 && bound > 32 ? "d" : 0));
  };
  const tableOf = (map: MapDef, keyIn: Bits): number => {
    const keyBits = materialize(keyIn);
    const k = `${map.name}:${B.key(keyBits)}`;
    let id = tableIds.get(k);
    if (id === undefined) {
      id = tables.length;
      tables.push({ id, map, key: keyBits });
      tableIds.set(k, id);
    }
    return id;
  };

  const bitsOf = (s: State, arg: Inst["args"][number]): Bits => {
    if (arg.kind === "imm") return B.constBits(arg.value);
    if (arg.kind !== "value") return refuse(`operand ${arg.kind} where a value is expected`);
    const v = s.env.get(arg.id);
    if (!v) return refuse(`value %${arg.id} used before it is set`);
    if (v.k === "v") return resolve(s, v.bits);
    if (v.k === "b") return B.constBits(v.value ? 1n : 0n);
    if (v.k === "lr") return refuse(learnResultUse(v.map));
    return refuse(`a ${v.k === "c" ? "condition" : "pointer"} used as a number`);
  };
  const symOf = (s: State, arg: Inst["args"][number]): Sym => {
    if (arg.kind === "imm") return { k: "v", bits: B.constBits(arg.value) };
    if (arg.kind === "sym") return { k: "map", name: arg.name };
    if (arg.kind !== "value") return refuse(`operand ${arg.kind} where a value is expected`);
    const v = s.env.get(arg.id);
    return v ?? refuse(`value %${arg.id} used before it is set`);
  };
  /** The value of bits given the packet bits a path knows (temporaries evaluated as the ALU would), if all are known. */
  const valueWith = (bits: Bits, known: ReadonlyMap<string, 0 | 1>, cache: Map<number, bigint | undefined>): bigint | undefined => {
    let v = 0n;
    for (let i = bits.length - 1; i >= 0; i--) {
      const b = bits[i]!;
      let x: bigint | undefined;
      if (b === 0 || b === 1) x = BigInt(b);
      else if (b.startsWith("p:")) x = known.has(b) ? BigInt(known.get(b)!) : undefined;
      else if (B.isXor(b)) {
        let parity: bigint | undefined = 0n;
        for (const t of B.xorTerms(b)) {
          const v = t === "1" ? 1n : valueWith([t], known, cache);
          parity = v === undefined || parity === undefined ? undefined : parity ^ v;
        }
        x = parity;
      }
      else if (b.startsWith("x:")) {
        const [, id, bit] = b.split(":");
        const t = tempValue(Number(id), known, cache);
        x = t === undefined ? undefined : (t >> BigInt(bit!)) & 1n;
      }
      if (x === undefined) return undefined;
      v = (v << 1n) | x;
    }
    return v;
  };
  const tempValue = (id: number, known: ReadonlyMap<string, 0 | 1>, cache: Map<number, bigint | undefined>): bigint | undefined => {
    if (cache.has(id)) return cache.get(id);
    const t = temps[id]!;
    const a = valueWith(t.a, known, cache), b = a === undefined ? undefined : valueWith(t.b, known, cache);
    const v = a === undefined || b === undefined ? undefined : t.op === "hash" ? B.hashValue(t.rows!, a) : evalBinary(t.op, a, b, 32);
    cache.set(id, v);
    return v;
  };
  /** Temporaries the path's known packet bits decide, as constants (the varbit length once ihl is a parser row). */
  const resolve = (s: State, bits: Bits): Bits => {
    if (s.known.size === 0 || !bits.some((b) => typeof b === "string" && b.startsWith("x:"))) return bits;
    const cache = new Map<number, bigint | undefined>();
    return bits.map((b) => {
      if (typeof b !== "string" || !b.startsWith("x:")) return b;
      const [, id, bit] = b.split(":");
      const t = tempValue(Number(id), s.known, cache);
      return t === undefined ? b : (Number((t >> BigInt(bit!)) & 1n) as 0 | 1);
    });
  };
  /** The packet bits a value is computed from, through temporaries; undefined when it depends on anything else. */
  const leaves = (bits: Bits, out: Set<string>, seen = new Set<number>()): Set<string> | undefined => {
    for (const b of bits) {
      if (b === 0 || b === 1) continue;
      if (b.startsWith("p:")) out.add(b);
      else if (B.isXor(b)) {
        if (!leaves(B.xorTerms(b).filter((t) => t !== "1"), out, seen)) return undefined;
      } else if (b.startsWith("x:")) {
        const id = Number(b.split(":")[1]);
        if (seen.has(id)) continue;
        seen.add(id);
        if (!leaves(temps[id]!.a, out, seen) || !leaves(temps[id]!.b, out, seen)) return undefined;
      } else return undefined;
    }
    return out;
  };
  /**
   * A comparison of values computed from at most 4 packet bits (the varbit length of IPv4
   * options, `(ihl - 5) * 32`, against each byte count): the bits, to fork on their value
   * as the parser's rows do, so that the comparison is decided on each path; undefined when
   * it is a gateway's (fields against constants, or more bits).
   */
  const fieldVars = (s: State, x: Sym, y: Sym, width: number): string[] | undefined => {
    if (x.k !== "v" || y.k !== "v") return undefined;
    const a = B.trunc(bitsOf2(s, x), width), b = B.trunc(bitsOf2(s, y), width);
    if (![...a, ...b].some((q) => typeof q === "string" && q.startsWith("x:"))) return undefined;
    const ls = leaves([...a, ...b], new Set());
    if (!ls) return undefined;
    const vars = [...ls].filter((l) => !s.known.has(l)).sort();
    return vars.length > 0 && vars.length <= MAX_LENGTH_FIELD_BITS ? vars : undefined;
  };
  const constOf = (bits: Bits, what: string): bigint => (B.isConst(bits) ? B.toBigInt(bits) : refuse(`${what} is not a constant on this path`));

  /**
   * A bounds check of the packet up to `n`, testing a pointer at `ref`: the header instance
   * it extracts is this check instruction (its n-th run on the path, for a loop), so a header
   * found at different offsets on different paths has one name, whatever the offset.
   */
  const checkOf = (s: State, n: number, ref: number): Sym => {
    const c = condOf(s, { kind: "len", n });
    if (c.k !== "c") return c;
    const runs = (s.checkRuns.get(site) ?? 0) + 1;
    s.checkRuns.set(site, runs);
    return { ...c, check: { start: s.knownGe, end: n, anchor: runs > 1 ? `${site}#${runs}` : site, ref } };
  };
  /** The label of packet byte `o` on this path: its header instance and offset there. */
  const byteLabel = (s: State, o: number): Bit[] => {
    const proof = s.proofs.find((p) => o >= p.lo && o < p.hi);
    // Proved by a length test that extracts nothing (adjust_head's room): the absolute offset.
    return proof ? B.packetByte(proof.anchor, o - proof.ref) : B.packetByte("abs", o);
  };
  /** Where a packet bit label is on this path (absolute offset of its byte). */
  const absOf = (s: State, l: string): number => {
    const pl = B.packetLabel(l)!;
    if (pl.anchor === "abs") return pl.rel;
    const proof = s.proofs.find((p) => p.anchor === pl.anchor);
    if (!proof) return refuse(`bug: packet label ${l} without its extraction on the path`);
    return proof.ref + pl.rel;
  };

  /** A condition: decided by what the path already knows, or a new atom the path forks on. */
  const condOf = (s: State, a: Atom): Sym => {
    if (a.kind === "len") {
      if (a.n <= s.knownGe || a.n <= 0) return { k: "b", value: true };
      if (a.n >= s.knownLt) return { k: "b", value: false };
    }
    return { k: "c", atom: atomOf(a), neg: false };
  };

  const compare = (s: State, cond: CmpCond, width: number, x: Sym, y: Sym): Sym => {
    // Pointer tests: a lookup's result against NULL is the table's hit bit.
    const ptrTest = (p: Sym, other: Sym): Sym | undefined => {
      if (p.k !== "tv" && p.k !== "elem") return undefined;
      if (other.k !== "v" || !B.isConst(other.bits) || B.toBigInt(other.bits) !== 0n || (cond !== "eq" && cond !== "ne")) return refuse("a map value pointer compared other than with NULL");
      const hit: Sym = p.k === "tv" ? condOf(s, { kind: "hit", table: p.table }) : p.valid;
      return cond === "ne" ? hit : negate(hit);
    };
    const pt = ptrTest(x, y) ?? ptrTest(y, x);
    if (pt) return pt;
    // A learn's result against 0: 0 when it inserted (the success bit), a negative error otherwise.
    const learnTest = (r: Sym, other: Sym, c: CmpCond): Sym | undefined => {
      if (r.k !== "lr") return undefined;
      if (other.k !== "v" || !B.isConst(B.trunc(other.bits, width)) || B.toBigInt(B.trunc(other.bits, width)) !== 0n) return refuse(learnResultUse(r.map));
      const ok: Sym = { k: "c", atom: r.atom, neg: false };
      const outcome: Partial<Record<CmpCond, Sym>> = { eq: ok, ne: negate(ok), sge: ok, slt: negate(ok), sle: { k: "b", value: true }, sgt: { k: "b", value: false } };
      return outcome[c] ?? refuse(learnResultUse(r.map));
    };
    const swap: Partial<Record<CmpCond, CmpCond>> = { sge: "sle", sle: "sge", sgt: "slt", slt: "sgt" };
    const lt = learnTest(x, y, cond) ?? learnTest(y, x, swap[cond] ?? cond);
    if (lt) return lt;
    // A packet pointer against data_end is a bounds check written out (pkt_len >= n).
    if ((x.k === "pkt" && y.k === "end") || (x.k === "end" && y.k === "pkt")) {
      const ptr = (x.k === "pkt" ? x : y) as Sym & { k: "pkt" };
      const off = ptr.off;
      const swapped = x.k === "end";
      const c = swapped ? ({ ugt: "ult", uge: "ule", ult: "ugt", ule: "uge", eq: "eq", ne: "ne" } as Record<string, string>)[cond] : cond;
      // ptr < end: len >= off+1; ptr <= end: len >= off; ptr > end, ptr >= end: their negations.
      const n = c === "ult" || c === "uge" ? off + 1 : c === "ule" || c === "ugt" ? off : undefined;
      if (n === undefined) return refuse(`a packet pointer compared with data_end by ${cond}`);
      // `ip + 1 > data_end`: the header's bytes are named from where ip was formed.
      const check = checkOf(s, n, ptr.org);
      return c === "ult" || c === "ule" ? check : negate(check);
    }
    if (x.k === "pkt" && y.k === "pkt") return { k: "b", value: evalCmp(cond, BigInt(x.off), BigInt(y.off), 64) };
    let a: Bits = B.trunc(bitsOf2(s, x), width), b: Bits = B.trunc(bitsOf2(s, y), width);
    if (B.isConst(a) && B.isConst(b)) return { k: "b", value: evalCmp(cond, B.toBigInt(a), B.toBigInt(b), width) };
    if (cond === "eq" || cond === "ne") {
      for (let i = 0; i < width; i++) {
        const p = a[i], q = b[i];
        if ((p === 0 || p === 1) && (q === 0 || q === 1) && p !== q) return { k: "b", value: cond === "ne" };
      }
    }
    if (B.hasDirty(a) || B.hasDirty(b)) return refuse("a comparison of a value with bits above a 32-bit ALU result (64-bit arithmetic)");
    [a, b] = [materialize(a), materialize(b)];
    // eq and ne are one atom (ne its negation), so that `x == c` then `x != c` share a gateway.
    if (cond === "ne") return negate(condOf(s, { kind: "cmp", cond: "eq", width, a, b }));
    return condOf(s, { kind: "cmp", cond, width, a, b });
  };
  const bitsOf2 = (s: State, v: Sym): Bits => {
    if (v.k === "v") return resolve(s, v.bits);
    if (v.k === "b") return B.constBits(v.value ? 1n : 0n);
    if (v.k === "lr") return refuse(learnResultUse(v.map));
    return refuse(`a ${v.k === "c" ? "condition" : "pointer"} compared as a number`);
  };

  const loadBytes = (s: State, p: Sym, size: number): Bits => {
    const bytes: Bits[] = [];
    if (p.k === "stack") for (let i = 0; i < size; i++) bytes.push(s.stack.get(p.off + i) ?? new Array<Bit>(8).fill("d"));
    else if (p.k === "pkt") {
      for (let i = 0; i < size; i++) {
        const o = p.off + i;
        if (o >= s.knownGe && !s.writes.has(o)) refuse(`a packet load at offset ${o} beyond the bounds checked on this path`);
        bytes.push(s.writes.get(o) ?? (o >= 0 ? byteLabel(s, o) : new Array<Bit>(8).fill("d")));
      }
    } else if (p.k === "tv") {
      // The table's result is the entry as matched: a direct counter updated before on this path is not seen.
      if (s.stateful.some((e) => e.kind === "direct" && e.table === p.table)) refuse(`a read of ${tables[p.table]!.map.name}'s entry after its direct counter was updated on this path: the match result is the entry before the update`);
      for (let i = 0; i < size; i++) bytes.push(Array.from({ length: 8 }, (_, j) => `t:${p.table}:${p.off + i}:${j}`));
    } else if (p.k === "elem") {
      // A read of an array element: a direct-indexed table (key = the index). An array the
      // program also updates is a register: the read is its stateful ALU's output, the value
      // before the update (analysis/stateful.ts), so a read after an update on a path is refused.
      if (s.stateful.some((e) => e.map.name === p.map.name)) refuse(`a read of ${p.map.name} after its update on this path: a stateful ALU returns the element before its update`);
      const t = tableOf(p.map, B.trunc(p.index, 32).slice(0, 32));
      for (let i = 0; i < size; i++) bytes.push(Array.from({ length: 8 }, (_, j) => `t:${t}:${p.off + i}:${j}`));
    }
    else refuse(`a load through a ${p.k} pointer`);
    return B.widen(bytes.flat());
  };
  const storeBytes = (s: State, p: Sym, size: number, v: Bits): void => {
    const byte = (i: number) => v.slice(i * 8, i * 8 + 8);
    if (p.k === "stack") for (let i = 0; i < size; i++) s.stack.set(p.off + i, byte(i));
    else if (p.k === "pkt") {
      for (let i = 0; i < size; i++) {
        const o = p.off + i;
        if (o >= s.knownGe) refuse(`a packet store at offset ${o} beyond the bounds checked on this path`);
        s.writes.set(o, byte(i));
      }
    } else if (p.k === "elem") s.stateful.push({ kind: "write", map: p.map, index: p.index, offset: p.off, size, value: B.trunc(v, size * 8), ...(insn === undefined ? {} : { insn }) });
    else refuse(`a store through a ${p.k === "tv" ? "table entry (a program cannot write a match table's entry)" : p.k + " pointer"}`);
  };

  const elemOf = (s: State, map: MapDef, index: Bits): Sym => {
    const idx = B.trunc(index, 32);
    const valid = compare(s, "ult", 64, { k: "v", bits: idx }, { k: "v", bits: B.constBits(BigInt(map.maxEntries)) });
    return { k: "elem", map, index: idx, off: 0, valid };
  };

  const binary = (op: string, a: Bits, b: Bits): Bits => {
    const is32 = op.endsWith("32");
    const base = is32 ? op.slice(0, -2) : op;
    const width = is32 ? 32 : 64;
    const x = is32 ? B.trunc(a, 32) : a, y = is32 ? B.trunc(b, 32) : b;
    const fin = (r: Bits) => (is32 ? B.trunc(r, 32) : r);
    if (B.isConst(x) && B.isConst(y)) return B.constBits(evalBinary(base, B.toBigInt(x), B.toBigInt(y), width), width).concat(new Array<Bit>(64 - width).fill(0));
    const shiftBy = () => Number(constOf(y, "a shift amount") & BigInt(width - 1));
    switch (base) {
      case "and":
      case "or":
      case "xor": {
        const exact = B.bitwise(base, x, y);
        if (exact) return exact;
        const lo = tempOf(base, x, y);
        const hiA = x.slice(32), hiB = y.slice(32);
        const hiZero = base === "and" ? hiA.every((q) => q === 0) || hiB.every((q) => q === 0) : hiA.every((q) => q === 0) && hiB.every((q) => q === 0);
        const hiExact = B.bitwise(base, B.widen(hiA), B.widen(hiB));
        // A 64-bit operation on two 32-bit ALUs: the high halves get their own temporary.
        const hi = hiZero ? new Array<Bit>(32).fill(0) : hiExact ? hiExact.slice(0, 32) : tempOf(base, B.lshr(x, 32), B.lshr(y, 32)).slice(0, 32);
        return fin([...lo.slice(0, 32), ...hi]);
      }
      case "shl":
        return fin(B.shl(x, shiftBy()));
      case "lshr":
        return fin(B.lshr(x, shiftBy()));
      case "ashr":
        return is32 ? B.trunc(B.ashr(B.sext(x, 32), shiftBy()), 32) : B.ashr(x, shiftBy());
      case "add":
      case "sub": {
        if (B.isConst(y) && B.toBigInt(y) === 0n) return fin(x);
        if (base === "sub" && B.key(x) === B.key(y)) return B.constBits(0n);
        if (base === "add" && B.isConst(x) && B.toBigInt(x) === 0n) return fin(y);
        const r = tempOf(base, x, y);
        const fits = base === "add" && B.significant(x) < 32 && B.significant(y) < 32;
        return is32 || fits ? r : [...r.slice(0, 32), ...new Array<Bit>(32).fill("d")];
      }
      case "mul":
      case "udiv":
      case "urem": {
        // A constant times a value (a P4 validity byte times a header's size) is the value shifted.
        if (base === "mul" && B.isConst(x) && !B.isConst(y)) return binary(op, y, x);
        if (!B.isConst(y)) return refuse(`${op} of two computed values: the VLIW action units have no ${base}`);
        const c = B.toBigInt(y);
        const log = c > 0n && (c & (c - 1n)) === 0n ? c.toString(2).length - 1 : -1;
        if (base === "mul" && log >= 0) return fin(B.shl(x, log));
        if (base === "udiv" && log >= 0) return fin(B.lshr(x, log));
        if (base === "urem" && log >= 0) return fin(B.bitwise("and", x, B.constBits(c - 1n))!);
        return refuse(`${op} by ${c}: the VLIW action units multiply and divide only by powers of two (as shifts)`);
      }
      default:
        return refuse(`${op} of computed values: no VLIW primitive does it`);
    }
  };
  const unary = (op: string, a: Bits): Bits => {
    switch (op) {
      case "zext32":
        return B.trunc(a, 32);
      case "bswap16":
      case "be16":
        return B.bswap(a, 2);
      case "bswap32":
      case "be32":
        return B.bswap(a, 4);
      case "bswap64":
      case "be64":
        return B.bswap(a, 8);
      case "le16":
        return B.trunc(a, 16);
      case "le32":
        return B.trunc(a, 32);
      case "le64":
        return a;
      case "sext8":
        return B.sext(a, 8);
      case "sext16":
        return B.sext(a, 16);
      case "sext32":
        return B.sext(a, 32);
      case "sext8_32":
        return B.trunc(B.sext(a, 8), 32);
      case "sext16_32":
        return B.trunc(B.sext(a, 16), 32);
      case "neg":
      case "neg32": {
        // -b of a one-bit value is b in every bit (0 or all ones): the `-(crc & 1) & poly` of a bitwise CRC.
        const width = op === "neg" ? B.W : 32;
        if (typeof a[0] === "string" && a[0] !== "d" && a.slice(1).every((q) => q === 0)) return B.widen(new Array<Bit>(width).fill(a[0]));
        return binary(op === "neg" ? "sub" : "sub32", B.constBits(0n), a);
      }
      default:
        return refuse(`${op}: no VLIW primitive does it`);
    }
  };

  const setIn = (st: State, i: Inst, v: Sym): State => {
    if (i.result !== undefined) st.env.set(i.result, v);
    return st;
  };
  /**
   * The values of a packet offset on this path. A constant is one; an offset made of a few
   * packet bits (a header-length field: IPv4's ihl*4) forks into one state per value, each
   * recording `offset == v`, as a chip's parser does it: the state that extracts the header
   * has one TCAM row per value of the length field, each with its own shift (the last value
   * is the catch-all row), so the next header is extracted at its offset on every path.
   */
  const offsetCases = (s: State, d: Bits, what: string): [State, number][] => {
    if (B.isConst(d)) return [[s, Number(BigInt.asIntN(64, B.toBigInt(d)))]];
    if (B.hasDirty(d)) return refuse(`${what} is not a constant on this path`);
    const vars = [...new Set(d.filter((b): b is string => typeof b === "string"))];
    if (!vars.every((v) => v.startsWith("p:")) || vars.length > MAX_LENGTH_FIELD_BITS)
      return refuse(`${what} is not a constant on this path, nor a header-length field of at most ${MAX_LENGTH_FIELD_BITS} packet bits`);
    return fieldCases(s, d, vars).map(([st, v]) => [st, Number(BigInt.asIntN(64, v))]);
  };
  /**
   * One state per value of the packet bits `vars` (values the path has excluded are skipped;
   * the last value is the fall-through), each recording `d == value` (d made of those bits)
   * and knowing the bits' values from there on.
   */
  const fieldCases = (s: State, d: Bits, vars: readonly string[]): [State, bigint][] => {
    const out: [State, bigint][] = [];
    let rest: State | undefined = s;
    const n = 1 << vars.length;
    const know = (st: State, v: number) => {
      vars.forEach((l, k) => st.known.set(l, ((v >> k) & 1) as 0 | 1));
      return st;
    };
    for (let v = 0; v < n && rest; v++) {
      const subst = (x: Bits): Bits => x.map((b) => (typeof b === "string" && vars.includes(b) ? (((v >> vars.indexOf(b)) & 1) as 0 | 1) : b));
      // A value the path has already excluded (ihl < 5 dropped) is no case: no rows, no paths.
      const excluded = [...rest.decided].some(([id, outcome]) => {
        const a = atoms[id]!;
        if (a.kind !== "cmp") return false;
        const [x, y] = [subst(a.a), subst(a.b)];
        return B.isConst(x) && B.isConst(y) && evalCmp(a.cond, B.toBigInt(x), B.toBigInt(y), a.width) !== outcome;
      });
      if (excluded && v !== n - 1) continue;
      const value = B.toBigInt(subst(d));
      if (v === n - 1) {
        out.push([know(rest, v), value]);
        break;
      }
      const c = condOf(rest, { kind: "cmp", cond: "eq", width: B.W, a: d, b: B.constBits(value) });
      if (c.k === "b") {
        if (c.value) {
          out.push([know(rest, v), value]);
          rest = undefined;
        }
        continue;
      }
      if (c.k !== "c") return refuse("bug: a length-field case that is not a condition");
      const cases = fork(rest, c);
      rest = undefined;
      for (const [st, t] of cases) {
        if (t) out.push([know(st, v), value]);
        else rest = st;
      }
    }
    return out;
  };

  /** Runs one instruction; returns states to continue with (a fork gives two). */
  const step = (s: State, i: Inst): State[] => {
    insn = i.origin;
    const set = (v: Sym) => {
      if (i.result !== undefined) s.env.set(i.result, v);
      return [s];
    };
    const [kind, mod] = splitOp(i.op);
    if (i.op === "const") return set({ k: "v", bits: B.constBits((i.args[0] as { value: bigint }).value) });
    if (i.op === "undef") return set({ k: "v", bits: DIRTY() });
    if (i.op === "frame") return set({ k: "stack", off: 0 });
    if (i.op === "ctx.get") {
      const f = (i.args[1] as { word: string }).word;
      if (f === "data") return set({ k: "pkt", off: s.base, org: s.base });
      if (f === "data_end") return set({ k: "end" });
      if (f === "data_meta") return set({ k: "pkt", off: s.base, org: s.base });
      return set({ k: "v", bits: B.labelled(`m:${f}`, 32) });
    }
    if (i.op === "ptradd") {
      const p = symOf(s, i.args[0]!);
      // A value added (a P4 parser's cursor, ihl * 4) forms a header pointer: its bytes are named from here.
      const formed = i.args[1]!.kind !== "imm";
      if (p.k === "pkt") return offsetCases(s, bitsOf(s, i.args[1]!), "a packet offset").map(([st, d]) => setIn(st, i, { ...p, off: p.off + d, ...(formed ? { org: p.off + d } : {}) }));
      const d = Number(BigInt.asIntN(64, constOf(bitsOf(s, i.args[1]!), "a packet or stack offset")));
      if (p.k === "stack" || p.k === "tv" || p.k === "elem") return set({ ...p, off: p.off + d });
      return refuse(`pointer arithmetic on a ${p.k} pointer`);
    }
    if (i.op === "packet.check") {
      const p = symOf(s, i.args[0]!), len = Number(constOf(bitsOf(s, i.args[2]!), "a bounds check length"));
      if (p.k !== "pkt") return refuse("a bounds check of a pointer that is not into the packet at a constant offset (a header offset that depends on a field)");
      return set(checkOf(s, p.off + len, p.org));
    }
    if (kind === "icmp" || kind === "icmp32") {
      const width = kind === "icmp32" ? 32 : 64;
      const vars = fieldVars(s, symOf(s, i.args[0]!), symOf(s, i.args[1]!), width);
      if (vars) return fieldCases(s, B.widen(vars), vars).map(([st]) => setIn(st, i, compare(st, mod as CmpCond, width, symOf(st, i.args[0]!), symOf(st, i.args[1]!))));
      return set(compare(s, mod as CmpCond, width, symOf(s, i.args[0]!), symOf(s, i.args[1]!)));
    }
    if (kind === "load" && symOf(s, i.args[1]!).k === "ctx") {
      const off = Number((i.args[2] as { value: bigint }).value);
      const f = Object.entries(CTX_FIELDS).find(([, d]) => d.offset === off)?.[0];
      if (f === "data" || f === "data_meta") return set({ k: "pkt", off: s.base, org: s.base });
      if (f === "data_end") return set({ k: "end" });
      return set({ k: "v", bits: f ? B.labelled(`m:${f}`, 32) : refuse(`a load of xdp_md at offset ${off}`) });
    }
    if (kind === "load") {
      const size = Number(mod!.slice(1)) / 8;
      const p = offsetPtr(symOf(s, i.args[1]!), Number((i.args[2] as { value: bigint }).value));
      if (p.k === "stack" && s.spills.has(p.off)) return size === 8 ? set(s.spills.get(p.off)!) : refuse("part of a spilled pointer loaded");
      const raw = loadBytes(s, p, size);
      return set({ k: "v", bits: mod!.startsWith("s") ? B.sext(raw, size * 8) : raw });
    }
    if (kind === "store") {
      const size = Number(mod!.slice(1)) / 8;
      const p = offsetPtr(symOf(s, i.args[1]!), Number((i.args[2] as { value: bigint }).value));
      const v = symOf(s, i.args[3]!);
      if (p.k === "stack") for (let b = -7; b < size; b++) s.spills.delete(p.off + b);
      if (v.k !== "v" && v.k !== "b") {
        // A pointer spilled to the stack (lifted BPF): kept whole, read back by a load of its slot.
        if (p.k !== "stack" || size !== 8) return refuse(`a ${v.k} pointer stored to memory`);
        for (let b = 0; b < 8; b++) s.stack.delete(p.off + b);
        s.spills.set(p.off, v);
        return [s];
      }
      storeBytes(s, p, size, bitsOf(s, i.args[3]!));
      return [s];
    }
    if (kind === "atomic") {
      const [op, size] = i.op.split(".").slice(1);
      const p = offsetPtr(symOf(s, i.args[1]!), Number((i.args[2] as { value: bigint }).value));
      if (op === "add" && p.k === "tv") {
        s.stateful.push({ kind: "direct", map: tables[p.table]!.map, table: p.table, index: [], offset: p.off, size: size === "u64" ? 8 : 4, value: B.trunc(bitsOf(s, i.args[3]!), 32), ...(insn === undefined ? {} : { insn }) });
        return set({ k: "v", bits: B.constBits(0n) });
      }
      if (op !== "add" || p.k !== "elem") return refuse(`atomic ${op} on ${p.k === "elem" ? p.map.name : "a " + p.k + " pointer"}: stateful ALUs count (atomic add without fetch) into counter arrays`);
      s.stateful.push({ kind: "count", map: p.map, index: p.index, offset: p.off, size: size === "u64" ? 8 : 4, value: B.trunc(bitsOf(s, i.args[3]!), 32), ...(insn === undefined ? {} : { insn }) });
      return set({ k: "v", bits: B.constBits(0n) });
    }
    if (i.op === "map.lookup" || i.op === "map.array_elem") {
      const map = mapDef((i.args[0] as { name: string }).name);
      if (i.op === "map.array_elem") return set(elemOf(s, map, bitsOf(s, i.args[1]!)));
      const kp = symOf(s, i.args[1]!);
      if (kp.k !== "stack") return refuse(`the key of ${map.name} is not on the stack`);
      const keyBits: Bit[] = [];
      for (let b = 0; b < map.keySize; b++) keyBits.push(...(s.stack.get(kp.off + b) ?? refuse(`the key of ${map.name} is not fully written`)));
      if (keyBits.includes("d")) refuse(`the key of ${map.name} depends on 64-bit arithmetic`);
      if (map.kind === "array" || map.kind === "percpu_array") return set(elemOf(s, map, B.widen(keyBits.slice(0, 32))));
      if (map.kind !== "hash" && map.kind !== "lru_hash" && map.kind !== "lpm_trie" && map.kind !== "tcam") return refuse(`a lookup in ${map.name}, a ${map.kind} map: match tables are hash (exact), lpm_trie (LPM), tcam (ternary) or array (direct)`);
      // Its table was matched before the learn path wrote into it: a lookup after an insert is
      // the table as it was only when the insert is known to have failed on this path.
      if (s.inserted.has(map.name)) {
        const ok = s.inserted.get(map.name);
        if (ok === undefined || s.decided.get(ok) !== false) return refuse(`a lookup in ${map.name} after the data plane inserted into it on this path: the table was matched before the insert`);
      }
      return set({ k: "tv", table: tableOf(map, keyBits), off: 0 });
    }
    if (i.op === "map.update") {
      // Learning: a hash map the program fills (a P4 CounterArray on a hash, a flow table):
      // the entry goes into the table's memory as the chip's learn path writes it.
      const map = mapDef((i.args[0] as { name: string }).name);
      const kp = symOf(s, i.args[1]!), vp = symOf(s, i.args[2]!);
      const flags = constOf(bitsOf(s, i.args[3]!), "map.update's flags");
      if (map.kind !== "hash" || kp.k !== "stack" || vp.k !== "stack") return refuse(`map.update of ${map.name}: the data plane inserts only into hash tables, key and value on the stack`);
      const bytes = (p: number, n: number) => Array.from({ length: n }, (_, b) => s.stack.get(p + b) ?? refuse(`map.update of ${map.name}: key or value not fully written`)).flat();
      const keyBits = bytes(kp.off, map.keySize), valueBits = bytes(vp.off, map.valueSize);
      if (keyBits.includes("d") || valueBits.includes("d")) refuse(`map.update of ${map.name}: key or value depends on 64-bit arithmetic`);
      // The result (0, or -E2BIG when full, -EEXIST...) is not known at compile time: when the
      // program tests it, it is the learn's success bit (an atom the paths fork on).
      const learned = i.result !== undefined && used.has(i.result) ? atomOf({ kind: "learned", map: map.name }) : undefined;
      if (learned !== undefined && s.stateful.some((e) => e.learned === learned)) refuse(`map.update of ${map.name} runs twice on a path: one learn per table per packet`);
      s.stateful.push({ kind: "insert", map, index: keyBits, offset: Number(flags), size: map.valueSize, value: valueBits, ...(insn === undefined ? {} : { insn }), ...(learned === undefined ? {} : { learned }) });
      s.inserted.set(map.name, learned);
      return set(learned === undefined ? { k: "v", bits: B.constBits(0n) } : { k: "lr", atom: learned, map: map.name });
    }
    if (i.op === "map.delete") return refuse(`${i.op} of ${(i.args[0] as { name: string }).name}: the data plane cannot add or delete match entries`);
    if (i.op === "call.helper") return helper(s, i);
    if (i.op === "call") return refuse(`a call of @${(i.args[0] as { name: string }).name}: a pipeline has no calls (inline it)`);
    if (i.op === "select") {
      const c = symOf(s, i.args[0]!);
      const pick = (t: boolean, st: State) => {
        if (i.result !== undefined) st.env.set(i.result, symOf(st, i.args[t ? 1 : 2]!));
        return st;
      };
      if (c.k === "b") return [pick(c.value, s)];
      if (c.k !== "c") return [pick(!B.isConst(bitsOf(s, i.args[0]!)) ? refuse("select on a computed value") : B.toBigInt(bitsOf(s, i.args[0]!)) !== 0n, s)];
      return fork(s, c).map(([st, v]) => pick(v, st));
    }
    if (i.op === "table.apply") return refuse("table.apply: the asic backend reads tables as map lookups (lower table.apply first)");
    if ((i.op === "add" || i.op === "sub") && i.result !== undefined) {
      // Pointer arithmetic written as integer add/sub (lifted BPF, `any` region loads).
      const x = symOf(s, i.args[0]!), y = symOf(s, i.args[1]!);
      const isPtr = (v: Sym) => v.k === "pkt" || v.k === "stack" || v.k === "tv" || v.k === "elem" || v.k === "end";
      if (isPtr(x) || isPtr(y)) {
        if (i.op === "sub" && x.k === "end" && y.k === "pkt") return set({ k: "v", bits: binary("sub", B.labelled("m:pkt_len", 16), B.constBits(BigInt(y.off))) });
        if (i.op === "sub" && x.k === "pkt" && y.k === "pkt") return set({ k: "v", bits: B.constBits(BigInt(x.off - y.off)) });
        const [p, d] = isPtr(x) ? [x, y] : [y, x];
        if (p.k === "end" || isPtr(d)) return refuse(`${i.op} of two pointers`);
        const formed = i.args[isPtr(x) ? 1 : 0]!.kind !== "imm";
        if (p.k === "pkt" && i.op === "add") return offsetCases(s, bitsOf2(s, d), "a packet offset").map(([st, n]) => setIn(st, i, formed ? { k: "pkt", off: p.off + n, org: p.off + n } : offsetPtr(p, n)));
        const n = Number(BigInt.asIntN(64, constOf(bitsOf2(s, d), "a pointer offset")));
        return set(offsetPtr(p, i.op === "sub" ? -n : n));
      }
    }
    if (i.args.length === 2 && i.result !== undefined) return set({ k: "v", bits: binary(i.op, bitsOf(s, i.args[0]!), bitsOf(s, i.args[1]!)) });
    if (i.args.length === 1 && i.result !== undefined) return set({ k: "v", bits: unary(i.op, bitsOf(s, i.args[0]!)) });
    return refuse(`${i.op}: not a construct the pipeline runs`);
  };

  const helper = (s: State, i: Inst): State[] => {
    const id = Number((i.args[0] as { value: bigint }).value);
    const set = (st: State, v: bigint) => {
      if (i.result !== undefined) st.env.set(i.result, { k: "v", bits: B.constBits(v) });
      return st;
    };
    if (id === 44) {
      const delta = Number(BigInt.asIntN(32, constOf(bitsOf(s, i.args[2]!), "adjust_head's delta")));
      // runtime/interp/xdp.ts adjustHead: room in front, and an Ethernet header left.
      if (-delta > XDP_HEADROOM - XDP_FRAME_RESERVED) return [set(s, -22n)];
      const room = condOf(s, { kind: "len", n: delta + ETH_HLEN });
      const apply = (st: State) => {
        st.base += delta;
        return set(st, 0n);
      };
      if (room.k === "b") return [room.value ? apply(s) : set(s, -22n)];
      if (room.k !== "c") return refuse("bug: adjust_head's room is not a condition");
      return fork(s, room).map(([st, ok]) => (ok ? apply(st) : set(st, -22n)));
    }
    if (id === 23) {
      const flags = constOf(bitsOf(s, i.args[2]!), "bpf_redirect's flags");
      if (flags !== 0n) return [set(s, 0n)];
      s.redirect = B.trunc(bitsOf(s, i.args[1]!), 32);
      return [set(s, 4n)];
    }
    return refuse(`helper ${id}: the pipeline runs bpf_redirect (23) and bpf_xdp_adjust_head (44) only`);
  };

  /** An equality of packet bits with a constant as byte constraints at this path's offsets (parserCondition lets only those through). */
  const constraintsOf = (s: State, a: Atom & { kind: "cmp" }): ByteConstraint[] => {
    const [sym, k]: [Bits, Bits] = B.isConst(a.b) ? [a.a, a.b] : [a.b, a.a];
    const byByte = new Map<number, { mask: number; value: number }>();
    for (let i = 0; i < a.width; i++) {
      const l = sym[i]!;
      if (typeof l !== "string") continue; // constant bits were checked equal by compare
      const abs = absOf(s, l), bit = B.packetLabel(l)!.bit;
      const c = byByte.get(abs) ?? { mask: 0, value: 0 };
      c.mask |= 1 << bit;
      if (k[i] === 1) c.value |= 1 << bit;
      byByte.set(abs, c);
    }
    return [...byByte].sort((x, y) => x[0] - y[0]).map(([abs, c]) => ({ abs, ...c }));
  };

  /** Both outcomes of an undecided condition, each state recording it. */
  const fork = (s: State, c: Sym & { k: "c" }): [State, boolean][] => {
    const known = s.decided.get(c.atom);
    if (known !== undefined) return [[s, known !== c.neg]];
    const out: [State, boolean][] = [];
    if (++forks > MAX_FORKS) throw new Refused({ message: `more than ${MAX_FORKS} branches explored: the program has too many paths for the pipeline's gateways` });
    for (const v of [true, false]) {
      const st = clone(s);
      const atomValue = v !== c.neg;
      st.decided.set(c.atom, atomValue);
      const check = c.check;
      st.atoms.push({ atom: c.atom, value: atomValue, ...(check ? { valid: check.anchor } : {}) });
      const a = atoms[c.atom]!;
      if (a.kind === "len") {
        if (atomValue) st.knownGe = Math.max(st.knownGe, a.n);
        else st.knownLt = Math.min(st.knownLt, a.n);
      }
      if (check) {
        st.parser.push({ kind: "check", start: check.start, end: check.end, ok: atomValue, anchor: check.anchor, ref: check.ref });
        if (atomValue) st.proofs.push({ anchor: check.anchor, lo: check.start, hi: check.end, ref: check.ref });
      } else if (a.kind === "cmp" && a.cond === "eq" && parserCondition(a)) st.parser.push({ kind: "cond", atom: c.atom, value: atomValue, constraints: constraintsOf(st, a) });
      out.push([st, v]);
    }
    return out;
  };

  const finish = (s: State, t: Block["term"] & { op: "ret" }) => {
    const verdict = materialize(B.trunc(bitsOf(s, t.value), 32));
    if (s.redirect) s.redirect = materialize(s.redirect);
    // Written bytes together, so that a CRC written out byte by byte is one hash unit's output.
    const written = [...s.writes];
    const flat = materialize(written.flatMap(([, w]) => w.slice(0, 8)));
    s.writes = new Map(written.map(([o, w], k) => [o, [...flat.slice(k * 8, k * 8 + 8), ...w.slice(8).map((b) => (B.isXor(b) ? "d" : b))]]));
    s.stateful = s.stateful.map((e) => ({ ...e, index: materialize(e.index), value: materialize(e.value) }));
    if (B.hasDirty(verdict)) refuse("the verdict depends on 64-bit arithmetic");
    if (s.redirect && B.hasDirty(s.redirect)) refuse("the redirect ifindex depends on 64-bit arithmetic");
    for (const [abs, w] of s.writes) if (B.hasDirty(w)) refuse(`the value written to packet byte ${abs - s.base} depends on 64-bit arithmetic or uninitialised stack`);
    for (const e of s.stateful) if (B.hasDirty(e.index) || B.hasDirty(e.value)) throw new Refused({ ...(e.insn === undefined ? {} : { insn: e.insn }), message: `the ${e.kind} of ${e.map.name} depends on 64-bit arithmetic` });
    const bytes = new Map<number, string>();
    for (const p of s.proofs) for (let o = p.lo; o < p.hi; o++) bytes.set(o, `p:${p.anchor}:${o - p.ref}`);
    paths.push({ atoms: s.atoms, parser: s.parser, verdict, ...(s.redirect ? { redirect: s.redirect } : {}), delta: s.base, writes: s.writes, bytes, stateful: s.stateful });
    if (paths.length > MAX_PATHS) throw new Refused({ message: `more than ${MAX_PATHS} paths through the program: the pipeline's gateways would not hold their predicates` });
  };

  const run = (s: State, block: Block, from: number): void => {
    try {
      if (from === 0) {
        // Loops are unrolled here, by evaluation: a loop whose trip count the path decides
        // (a header-stack index on the stack) runs to its end; one that does not is refused.
        const n = (s.visits.get(block.name) ?? 0) + 1;
        if (n > MAX_TRIPS) refuse(`a loop at block ${block.name} that runs more than ${MAX_TRIPS} times on a path: a pipeline runs each stage once`);
        s.visits.set(block.name, n);
      }
      for (let k = from; k < block.insts.length; k++) {
        site = block.insts[k]!.origin === undefined ? `${block.name}.${k}` : String(block.insts[k]!.origin);
        const next = step(s, block.insts[k]!);
        if (next.length !== 1 || next[0] !== s) {
          for (const st of next) run(st, block, k + 1);
          return;
        }
      }
      insn = block.insts.at(-1)?.origin;
      const t = block.term;
      const go = (st: State, call: { block: string; args: readonly Inst["args"][number][] }) => {
        const target = blocks.get(call.block)!;
        const vals = call.args.map((a) => symOf(st, a));
        target.params.forEach((p, j) => st.env.set(p.id, vals[j]!));
        run(st, target, 0);
      };
      if (t.op === "ret") return finish(s, t);
      if (t.op === "unreachable") return;
      if (t.op === "br") return go(s, t.to);
      const c = symOf(s, t.cond);
      if (c.k === "b") return go(s, c.value ? t.then : t.else);
      if (c.k === "v") return go(s, B.isConst(c.bits) ? (B.toBigInt(c.bits) !== 0n ? t.then : t.else) : refuse("a branch on a computed value that is not a comparison"));
      if (c.k !== "c") return refuse("a branch on a pointer");
      for (const [st, v] of fork(s, c)) go(st, v ? t.then : t.else);
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      const k = `${e.problem.insn}:${e.problem.message}`;
      if (!problems.has(k)) problems.set(k, e.problem);
      if (paths.length > MAX_PATHS) throw e;
    }
  };

  const entry = func.blocks[0]!;
  const init: State = { env: new Map(), stack: new Map(), spills: new Map(), writes: new Map(), base: 0, knownGe: 0, knownLt: Number.MAX_SAFE_INTEGER, atoms: [], decided: new Map(), parser: [], stateful: [], inserted: new Map(), visits: new Map(), proofs: [], checkRuns: new Map(), known: new Map() };
  if (entry.params[0]) init.env.set(entry.params[0].id, { k: "ctx" });
  try {
    run(init, entry, 0);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
  }
  const sorted = [...problems.values()].sort((a, b) => (a.insn ?? -1) - (b.insn ?? -1) || a.message.localeCompare(b.message));
  return { atoms, tables, temps, paths, problems: sorted };
}

/** A comparison the parser's TCAM can take as a transition: packet bits against a constant. */
export function parserCondition(a: Atom & { kind: "cmp" }): boolean {
  const packetOrConst = (b: Bits) => b.every((x) => x === 0 || x === 1 || (typeof x === "string" && x.startsWith("p:")));
  return (B.isConst(a.b) && packetOrConst(a.a)) || (B.isConst(a.a) && packetOrConst(a.b));
}

const learnResultUse = (map: string) => `the result of map.update of ${map} is used other than compared with 0 (==, !=, signed < and >=): the learn path reports only whether it inserted`;

function negate(c: Sym): Sym {
  if (c.k === "b") return { k: "b", value: !c.value };
  if (c.k === "c") return { ...c, neg: !c.neg };
  return c;
}

function offsetPtr(p: Sym, off: number): Sym {
  if (p.k === "pkt" || p.k === "stack" || p.k === "tv" || p.k === "elem") return { ...p, off: p.off + off };
  return p;
}

function splitOp(op: string): [string, string | undefined] {
  const dot = op.indexOf(".");
  return dot < 0 ? [op, undefined] : [op.slice(0, dot), op.slice(dot + 1)];
}

export function evalCmp(cond: CmpCond, a: bigint, b: bigint, width: number): boolean {
  const ua = BigInt.asUintN(width, a), ub = BigInt.asUintN(width, b);
  const sa = BigInt.asIntN(width, a), sb = BigInt.asIntN(width, b);
  switch (cond) {
    case "eq":
      return ua === ub;
    case "ne":
      return ua !== ub;
    case "ugt":
      return ua > ub;
    case "uge":
      return ua >= ub;
    case "ult":
      return ua < ub;
    case "ule":
      return ua <= ub;
    case "sgt":
      return sa > sb;
    case "sge":
      return sa >= sb;
    case "slt":
      return sa < sb;
    case "sle":
      return sa <= sb;
    case "set":
      return (ua & ub) !== 0n;
  }
}

/** The ALU semantics shared with the behavioural model (RFC 9669 §4.1: x/0 = 0, x%0 = x). */
export function evalBinary(op: string, a: bigint, b: bigint, width: number): bigint {
  const m = (v: bigint) => BigInt.asUintN(width, v);
  const x = m(a), y = m(b);
  switch (op) {
    case "add":
      return m(x + y);
    case "sub":
      return m(x - y);
    case "mul":
      return m(x * y);
    case "udiv":
      return y === 0n ? 0n : x / y;
    case "urem":
      return y === 0n ? x : x % y;
    case "sdiv": {
      const sx = BigInt.asIntN(width, x), sy = BigInt.asIntN(width, y);
      return sy === 0n ? 0n : m(sx / sy);
    }
    case "srem": {
      const sx = BigInt.asIntN(width, x), sy = BigInt.asIntN(width, y);
      return sy === 0n ? sx === 0n ? 0n : m(sx) : m(sx % sy);
    }
    case "and":
      return x & y;
    case "or":
      return x | y;
    case "xor":
      return x ^ y;
    case "shl":
      return m(x << (y & BigInt(width - 1)));
    case "lshr":
      return x >> (y & BigInt(width - 1));
    case "ashr":
      return m(BigInt.asIntN(width, x) >> (y & BigInt(width - 1)));
    default:
      throw new Error(`bug: evalBinary ${op}`);
  }
}
