// The parse graph (docs/asic-pipeline.md §Parser). Every path's parser events (bounds
// checks, which extract the bytes they newly prove, and the packet-field conditions
// between them) go into one trie; a node after a successful check is a parser state that
// extracts those bytes, and the conditions below it, up to the next checks, become its TCAM
// rows over the lookahead window. Other conditions (table results, computed values) are
// not the parser's: it extracts speculatively through them and the pipeline's gateways
// decide. A check that fails stops the parser (the pipeline sees pkt_len).
import type { Atom, Path } from "../analysis/paths.js";
import type { Bits } from "../analysis/bits.js";

interface Node {
  ev?: { kind: "check"; start: number; end: number } | { kind: "cond"; atom: number };
  t?: Node;
  f?: Node;
}

/** One lookahead constraint: packet byte `abs` masked with `mask` equals `value`. */
interface Constraint {
  readonly abs: number;
  readonly mask: number;
  readonly value: number;
}

export interface ParseState {
  readonly id: number;
  /** Start of the lookahead window (absolute); the state extracts [extractFrom, end). */
  cursor: number;
  readonly extractFrom: number;
  readonly end: number;
  readonly rows: { readonly constraints: readonly Constraint[]; readonly next: number | "accept" }[];
}

export interface ParseGraph {
  readonly start: number;
  readonly states: readonly ParseState[];
  /** Every packet byte range a state extracts, for the PHV allocation. */
  readonly ranges: readonly (readonly [number, number])[];
}

export class ParseError extends Error {}

export function buildParseGraph(paths: readonly Path[], atoms: readonly Atom[]): ParseGraph {
  const root: Node = {};
  for (const p of paths) {
    let n = root;
    // Conditions after a path's last extraction decide nothing the parser does: the pipeline's gateways take them.
    let last = p.parser.length;
    while (last > 0 && p.parser[last - 1]!.kind !== "check") last--;
    for (const e of p.parser.slice(0, last)) {
      const ev = e.kind === "check" ? { kind: "check" as const, start: e.start, end: e.end } : { kind: "cond" as const, atom: e.atom };
      if (!n.ev) n.ev = ev;
      else if (JSON.stringify(n.ev) !== JSON.stringify(ev)) throw new ParseError(`the parse graph forks on two different ${n.ev.kind === "check" ? `extractions (bytes ${describe(n.ev)} and ${describe(ev)})` : "conditions"} at one point: paths that a table result or a computed value separates parse differently`);
      const ok = e.kind === "check" ? e.ok : e.value;
      if (ok) n = n.t ??= {};
      else n = n.f ??= {};
    }
  }
  const states: ParseState[] = [];
  const bySig = new Map<string, number>();
  const ranges: [number, number][] = [];

  const stateFor = (cursor: number, end: number, below: Node | undefined): number => {
    const rows: ParseState["rows"][number][] = [];
    const sig = `${cursor}:${end}:${JSON.stringify(below ?? {})}`;
    const known = bySig.get(sig);
    if (known !== undefined) return known;
    const id = states.length;
    bySig.set(sig, id);
    const state = { id, cursor, end, extractFrom: cursor, rows };
    states.push(state);
    if (end > cursor) ranges.push([cursor, end]);
    emit(below, [], rows);
    // The lookahead window starts at the cursor; a state that branches on a byte extracted
    // before its own bytes (a field of the previous header) starts its window there.
    state.cursor = Math.min(cursor, ...rows.flatMap((r) => r.constraints.map((c) => c.abs)));
    return id;
  };

  const emit = (n: Node | undefined, cs: readonly Constraint[], rows: ParseState["rows"][number][]): void => {
    if (!n?.ev) {
      rows.push({ constraints: cs, next: "accept" });
      return;
    }
    if (n.ev.kind === "check") {
      if (n.f?.ev) throw new ParseError(`after the bounds check of bytes ${describe(n.ev)} fails, the program parses on: a parser stops where the packet ends`);
      rows.push({ constraints: cs, next: stateFor(n.ev.start, n.ev.end, n.t) });
      return;
    }
    const more = constraintsOf(atoms[n.ev.atom]!);
    const merged = merge(cs, more);
    if (merged) emit(n.t, merged, rows);
    emit(n.f, cs, rows);
  };

  let start: number;
  if (root.ev?.kind === "check") {
    if (root.f?.ev) throw new ParseError(`after the first bounds check fails, the program parses on`);
    start = stateFor(root.ev.start, root.ev.end, root.t);
  } else start = stateFor(0, 0, root);
  return { start, states, ranges };
}

function describe(ev: NonNullable<Node["ev"]>): string {
  return ev.kind === "check" ? `${ev.start}..${ev.end - 1}` : `condition ${ev.atom}`;
}

/** An equality of packet bits with a constant as byte constraints (the analysis only lets those through). */
function constraintsOf(a: Atom): Constraint[] {
  if (a.kind !== "cmp") throw new ParseError("bug: a parser condition that is not a comparison");
  const [sym, k]: [Bits, Bits] = a.b.every((x) => x === 0 || x === 1) ? [a.a, a.b] : [a.b, a.a];
  const byByte = new Map<number, { mask: number; value: number }>();
  for (let i = 0; i < a.width; i++) {
    const s = sym[i]!;
    if (typeof s !== "string") continue; // constant bits were checked equal by the analysis
    const [, abs, bit] = s.split(":").map(Number) as [number, number, number];
    const c = byByte.get(abs) ?? { mask: 0, value: 0 };
    c.mask |= 1 << bit;
    if (k[i] === 1) c.value |= 1 << bit;
    byByte.set(abs, c);
  }
  return [...byByte].map(([abs, c]) => ({ abs, ...c }));
}

function merge(a: readonly Constraint[], b: readonly Constraint[]): Constraint[] | undefined {
  const m = new Map<number, { mask: number; value: number }>();
  for (const c of [...a, ...b]) {
    const prev = m.get(c.abs);
    if (!prev) m.set(c.abs, { mask: c.mask, value: c.value });
    else {
      const both = prev.mask & c.mask;
      if ((prev.value & both) !== (c.value & both)) return undefined;
      m.set(c.abs, { mask: prev.mask | c.mask, value: prev.value | c.value });
    }
  }
  return [...m].sort((x, y) => x[0] - y[0]).map(([abs, c]) => ({ abs, ...c }));
}
