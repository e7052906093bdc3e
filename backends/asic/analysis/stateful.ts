// Registers as stateful ALU programs (docs/asic-pipeline.md §Stateful ALUs). An array the
// program both reads and updates is a register: one stateful ALU (SALU) next to its memory
// reads the element, returns it to the PHV (the value *before* the update) and writes back
// `old op operand`, once per packet. paths.ts gives the reads as a direct-indexed table T
// on the array (its value bytes are labels t:T:...) and the updates as count/write effects
// whose value may be made of those labels; this pass turns each path's accesses into SALU
// operations:
//   - a path that reads and does not update: `read` (data: T);
//   - a write whose value is the old element through one ALU op with an operand that does
//     not depend on it (`v = r[i]; r[i] = v + x`): `rmw` with that op (add, sub, and, or,
//     xor; or/and with a constant when the value sets or clears bits of the old one);
//   - a count or a write that does not depend on the old value: kept, returning the old
//     value when the path reads it (data: T).
//   - paths that fork on a comparison of the element read with a value that does not
//     depend on it (`if (x > v) r[i] = x`: max; `if (v < 10) r[i] = v + 1`: a saturating
//     count; compare-and-set) and then do different operations on the register: one
//     `branch` operation, the SALU's own condition choosing between them, the same for the
//     paths on both sides (so the table selecting it does not need the comparison, which
//     only the SALU's output can feed).
// What a SALU cannot do is refused with the instruction: a register read at two indices,
// a path reading one element and updating another, an update computed from the old value
// by more than one op, a second condition on the old value. A condition on the register's
// value in another shape (a part of it, a computed value) is refused by placement (the
// predicate would need the SALU's own output).
import * as B from "./bits.js";
import type { Bits } from "./bits.js";
import type { Path, Problem, Recovered, StatefulEffect, TempOp } from "./paths.js";

const ALU: readonly Exclude<TempOp, "hash">[] = ["add", "sub", "and", "or", "xor"];

/** The tables a path's conditions and effects read (through temporaries), and the tables whose hit it tests. */
export function pathTables(p: Path, rec: Recovered, memo = new Map<number, ReadonlySet<number>>()): Set<number> {
  const out = new Set<number>();
  const tempTables = (id: number): ReadonlySet<number> => {
    let s = memo.get(id);
    if (!s) {
      const acc = new Set<number>();
      memo.set(id, acc); // temporaries form a DAG; the entry is complete before anyone reads it again
      for (const b of [rec.temps[id]!.a, rec.temps[id]!.b]) scan(b, acc);
      s = acc;
    }
    return s;
  };
  const scan = (bits: Bits, acc: Set<number>) => {
    for (const b of bits) {
      if (typeof b !== "string") continue;
      const [kind, id] = b.split(":");
      if (kind === "t") acc.add(Number(id));
      else if (kind === "x") for (const t of tempTables(Number(id))) acc.add(t);
    }
  };
  for (const { atom } of p.atoms) {
    const a = rec.atoms[atom]!;
    if (a.kind === "hit") out.add(a.table);
    else if (a.kind === "cmp") (scan(a.a, out), scan(a.b, out));
  }
  for (const b of [p.verdict, p.redirect ?? [], ...p.writes.values()]) scan(b, out);
  const nested = (s: StatefulEffect): StatefulEffect[] => [s, ...(s.branch ? [...s.branch.then, ...s.branch.else].flatMap(nested) : [])];
  for (const s of p.stateful.flatMap(nested)) {
    scan(s.index, out);
    scan(s.value, out);
    if (s.kind === "direct") out.add(s.table!);
  }
  return out;
}

/** Tables that are register reads (a SALU's output), not match tables: direct tables on arrays the program updates. */
export function registerReads(rec: Recovered): Set<number> {
  // Before registerPrograms: counts and writes; after: also its read and rmw operations.
  const updated = new Set(rec.paths.flatMap((p) => p.stateful.filter((s) => s.kind !== "direct" && s.kind !== "insert").map((s) => s.map.name)));
  return new Set(rec.tables.filter((t) => updated.has(t.map.name) && (t.map.kind === "array" || t.map.kind === "percpu_array")).map((t) => t.id));
}

/** The paths with their register accesses as SALU operations, and what no SALU can do. */
export function registerPrograms(rec: Recovered): Recovered {
  const reads = registerReads(rec);
  if (!reads.size) return rec;
  const problems: Problem[] = [];
  const problem = (insn: number | undefined, message: string) => {
    if (!problems.some((p) => p.insn === insn && p.message === message)) problems.push({ ...(insn === undefined ? {} : { insn }), message });
  };
  const byMap = new Map<string, number[]>();
  for (const t of reads) byMap.set(rec.tables[t]!.map.name, [...(byMap.get(rec.tables[t]!.map.name) ?? []), t]);
  for (const [m, ts] of byMap) {
    if (ts.length < 2) continue;
    const at = rec.paths.flatMap((p) => p.stateful).find((s) => s.map.name === m)?.insn;
    problem(at, `${m} is read at ${ts.length} different indices and updated: its stateful ALU reads and updates one element per packet`);
  }
  const memo = new Map<number, ReadonlySet<number>>();
  const dependsOn = (bits: Bits, t: number): boolean => {
    const acc = new Set<number>();
    pathTablesOfBits(bits, rec, memo, acc);
    return acc.has(t);
  };
  const paths = rec.paths.map((p): Path => {
    const read = [...pathTables(p, rec, memo)].filter((t) => reads.has(t));
    if (!read.length) return p;
    const stateful: StatefulEffect[] = p.stateful.filter((s) => !read.some((t) => rec.tables[t]!.map.name === s.map.name));
    for (const t of read) {
      const table = rec.tables[t]!;
      const index = B.widen(table.key.slice(0, 32));
      const updates = p.stateful.filter((s) => s.map.name === table.map.name);
      const ops: StatefulEffect[] = [];
      for (const u of updates) {
        if (B.key(B.trunc(u.index, 32)) !== B.key(index)) {
          problem(u.insn, `${table.map.name} is read at one index and updated at another on a path: its stateful ALU reads and updates one element per packet`);
          continue;
        }
        if (!dependsOn(u.value, t)) ops.push(u);
        else if (u.kind === "count") problem(u.insn, `the addend of ${table.map.name}'s count depends on its own value: a stateful ALU adds an operand from the PHV`);
        else {
          const rmw = asRmw(u, t, rec, (b) => dependsOn(b, t));
          if (typeof rmw === "string") problem(u.insn, rmw);
          else if (rmw) ops.push(rmw);
        }
      }
      // The SALU returns the element before its update to the PHV (the table's data bytes).
      if (ops.length) ops[0] = { ...ops[0]!, data: t };
      else ops.push({ kind: "read", map: table.map, index, offset: 0, size: table.map.valueSize, value: [], data: t, ...(updates[0]?.insn === undefined ? {} : { insn: updates[0].insn }) });
      stateful.push(...ops);
    }
    return { ...p, stateful };
  });
  const branched = branches(paths, rec, byMap, problem, (b, t) => dependsOn(b, t));
  return { ...rec, paths: branched, problems: [...rec.problems, ...problems] };
}

/**
 * Paths that fork on a comparison of a register's old element with an operand independent
 * of it, and do different operations on the register on the two sides: one `branch`
 * effect on every path below the fork.
 */
function branches(paths: readonly Path[], rec: Recovered, byMap: ReadonlyMap<string, number[]>, problem: (insn: number | undefined, message: string) => void, dependsOn: (b: Bits, t: number) => boolean): Path[] {
  const out = [...paths];
  for (const [m, [t]] of byMap) {
    if (t === undefined || byMap.get(m)!.length > 1) continue;
    /** The element bytes a comparison side is, whole and zero-extended: [offset, size]. */
    const oldSide = (b: Bits): [number, number] | undefined => {
      const first = typeof b[0] === "string" && new RegExp(`^t:${t}:(\\d+):0$`).exec(b[0]);
      if (!first) return undefined;
      const offset = Number(first[1]);
      let n = 0;
      while (n < b.length && b[n] === `t:${t}:${offset + (n >> 3)}:${n & 7}`) n++;
      return [1, 2, 4].includes(n / 8) && b.slice(n).every((x) => x === 0) ? [offset, n / 8] : undefined;
    };
    const internal = (atom: number) => {
      const a = rec.atoms[atom]!;
      if (a.kind !== "cmp") return undefined;
      const [l, r] = [oldSide(a.a), oldSide(a.b)];
      if (l && !dependsOn(a.b, t)) return { cond: a.cond, width: a.width, oldRight: false, offset: l[0], size: l[1], operand: a.b };
      if (r && !dependsOn(a.a, t)) return { cond: a.cond, width: a.width, oldRight: true, offset: r[0], size: r[1], operand: a.a };
      return undefined;
    };
    // The forks: paths grouped by their prefix up to the first such comparison.
    const nodes = new Map<string, number[]>();
    out.forEach((p, k) => {
      if (!p.stateful.some((s) => s.map.name === m)) return;
      const j = p.atoms.findIndex((a) => internal(a.atom));
      if (j < 0) return;
      const key = JSON.stringify([...p.atoms.slice(0, j), p.atoms[j]!.atom]);
      nodes.set(key, [...(nodes.get(key) ?? []), k]);
    });
    for (const [key, ks] of nodes) {
      const j = (JSON.parse(key) as unknown[]).length - 1;
      const atom = out[ks[0]!]!.atoms[j]!.atom;
      const shape = internal(atom)!;
      const opsOf = (k: number) => out[k]!.stateful.filter((s) => s.map.name === m && s.kind !== "read").map(({ data: _, ...rest }) => rest);
      const side = (value: boolean) => {
        const sigs = new Set(ks.filter((k) => out[k]!.atoms[j]!.value === value).map((k) => JSON.stringify(opsOf(k))));
        return sigs.size <= 1 ? ks.find((k) => out[k]!.atoms[j]!.value === value) : null;
      };
      const [yes, no] = [side(true), side(false)];
      // The first of the fork's paths that names an instruction of m (which path comes first
      // depends on the block layout; not every path touches m with one).
      const insn = ks.flatMap((k) => out[k]!.stateful).find((s) => s.map.name === m && s.insn !== undefined)?.insn;
      if (yes === null || no === null) {
        problem(insn, `${m}: its operations under a condition on its own value differ with a later condition: a stateful ALU program tests one condition on the element`);
        continue;
      }
      const thenOps = yes === undefined ? [] : opsOf(yes), elseOps = no === undefined ? [] : opsOf(no);
      if (JSON.stringify(thenOps) === JSON.stringify(elseOps)) continue;
      const table = rec.tables[t]!;
      const branch: StatefulEffect = {
        kind: "branch",
        map: table.map,
        index: B.widen(table.key.slice(0, 32)),
        offset: shape.offset,
        size: shape.size,
        value: shape.operand,
        data: t,
        ...(insn === undefined ? {} : { insn }),
        branch: { atom, cond: shape.cond, width: shape.width, oldRight: shape.oldRight, then: thenOps, else: elseOps },
      };
      for (const k of ks) out[k] = { ...out[k]!, stateful: [...out[k]!.stateful.filter((s) => s.map.name !== m), branch] };
    }
  }
  return out;
}

function pathTablesOfBits(bits: Bits, rec: Recovered, memo: Map<number, ReadonlySet<number>>, acc: Set<number>): void {
  const p: Path = { atoms: [], parser: [], verdict: bits, delta: 0, writes: new Map(), bytes: new Map(), stateful: [] };
  for (const t of pathTables(p, rec, memo)) acc.add(t);
}

/**
 * A write of `old op operand` as an rmw effect; undefined when the value is the old one
 * (nothing to write); a message when it is not one SALU operation.
 */
function asRmw(u: StatefulEffect, t: number, rec: Recovered, dependsOnOld: (b: Bits) => boolean): StatefulEffect | undefined | string {
  const n = u.size * 8;
  const old = (j: number) => `t:${t}:${u.offset + (j >> 3)}:${j & 7}`;
  const v = u.value.slice(0, n);
  const { insn: _, ...rest } = u;
  const at = u.insn === undefined ? {} : { insn: u.insn };
  if (v.every((b, j) => b === old(j))) return undefined;
  // Bits of the old value kept in place, the others constants: or with the ones, and with the zeros' complement.
  if (v.every((b, j) => b === old(j) || b === 0 || b === 1)) {
    const consts = v.map((b, j) => (b === old(j) ? undefined : b));
    if (consts.every((b) => b !== 0)) return { ...rest, ...at, kind: "rmw", alu: "or", value: B.widen(consts.map((b) => (b === 1 ? 1 : 0))) };
    if (consts.every((b) => b !== 1)) return { ...rest, ...at, kind: "rmw", alu: "and", value: B.widen(consts.map((b) => (b === 0 ? 0 : 1))) };
  }
  // One ALU temporary (truncated to the element's width) with the old value as an operand.
  const m = typeof v[0] === "string" && /^x:(\d+):0$/.exec(v[0]);
  if (m && v.every((b, j) => b === `x:${m[1]}:${j}`)) {
    const temp = rec.temps[Number(m[1])]!;
    const isOld = (b: Bits) => b.every((x, j) => (j < n ? x === old(j) : x === 0));
    const [oldSide, other] = isOld(temp.a) ? [temp.a, temp.b] : temp.op !== "sub" && isOld(temp.b) ? [temp.b, temp.a] : [undefined, undefined];
    const alu = ALU.find((op) => op === temp.op);
    if (oldSide && other && alu && !dependsOnOld(other)) return { ...rest, ...at, kind: "rmw", alu, value: B.widen(other.slice(0, 32)) };
  }
  return `the update of ${u.map.name} computes its new value from the old one by more than one operation: a stateful ALU does old op operand (${ALU.join(", ")}) or writes a value that does not depend on the old one`;
}
