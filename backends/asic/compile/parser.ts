// The parse graph (docs/asic-pipeline.md §Parser). Every path's parser events (bounds
// checks, which extract the bytes they newly prove, and the packet-field conditions
// between them) go into one trie; a node after a successful check is a parser state that
// extracts those bytes, and the conditions below it, up to the next checks, become its TCAM
// rows over the lookahead window. Other conditions (table results, computed values) are
// not the parser's: it extracts speculatively through them and the pipeline's gateways
// decide. A check that fails stops the parser (the pipeline sees pkt_len and the header's
// validity bit, which only the state that extracts the header sets).
//
// A state extracts one header instance (the check's anchor, analysis/paths.ts): whatever its
// cursor, it names the same containers, so a header after 0, 1 or 2 VLAN tags has one home;
// which of its bytes go to containers is the PHV's business (bytes no path reads are skipped,
// as a chip's parser shifts past IPv4 options nobody reads).
import type { ByteConstraint, Path } from "../analysis/paths.js";

type Event = { kind: "check"; start: number; end: number; anchor: string; ref: number } | { kind: "cond"; atom: number; constraints: readonly ByteConstraint[] };
interface Node {
  ev?: Event;
  t?: Node;
  f?: Node;
}

type Constraint = ByteConstraint;

export interface ParseState {
  readonly id: number;
  /** Start of the lookahead window (absolute); the state proves [extractFrom, end). */
  cursor: number;
  readonly extractFrom: number;
  readonly end: number;
  /** The header instance it extracts, byte r of it at absolute offset ref + r (none: the start state). */
  readonly anchor?: string;
  readonly ref: number;
  /**
   * Further headers the state extracts after its own, each needing its bytes in the packet
   * (the parser stops at the first that is not): a chain of checks with no branch between
   * them (a varbit extracted byte by byte, the P4 lowering of `extract(h, n)`) is one state.
   */
  readonly then: readonly { readonly extractFrom: number; readonly end: number; readonly anchor: string; readonly ref: number }[];
  readonly rows: { readonly constraints: readonly Constraint[]; readonly next: number | "accept" }[];
}

export interface ParseGraph {
  readonly start: number;
  readonly states: readonly ParseState[];
}

export class ParseError extends Error {}

/** `span`: the most bytes one state may extract (from its cursor), the parser's lookahead. */
export function buildParseGraph(paths: readonly Path[], span = Infinity): ParseGraph {
  const root: Node = {};
  for (const p of paths) {
    let n = root;
    // Conditions after a path's last extraction decide nothing the parser does: the pipeline's gateways take them.
    let last = p.parser.length;
    while (last > 0 && p.parser[last - 1]!.kind !== "check") last--;
    for (const e of p.parser.slice(0, last)) {
      const ev: Event = e.kind === "check" ? { kind: "check", start: e.start, end: e.end, anchor: e.anchor, ref: e.ref } : { kind: "cond", atom: e.atom, constraints: e.constraints };
      if (!n.ev) n.ev = ev;
      else if (JSON.stringify(n.ev) !== JSON.stringify(ev)) throw new ParseError(`the parse graph forks on two different ${n.ev.kind === "check" ? `extractions (bytes ${describe(n.ev)} and ${describe(ev)})` : "conditions"} at one point: paths that a table result or a computed value separates parse differently`);
      const ok = e.kind === "check" ? e.ok : e.value;
      if (ok) n = n.t ??= {};
      else n = n.f ??= {};
    }
  }
  const states: ParseState[] = [];
  const bySig = new Map<string, number>();

  const stateFor = (cursor: number, end: number, anchor: string | undefined, ref: number, below: Node | undefined): number => {
    const rows: ParseState["rows"][number][] = [];
    const sig = `${cursor}:${end}:${anchor}:${ref}:${JSON.stringify(below ?? {})}`;
    const known = bySig.get(sig);
    if (known !== undefined) return known;
    const id = states.length;
    bySig.set(sig, id);
    const then: { extractFrom: number; end: number; anchor: string; ref: number }[] = [];
    // Checks that follow unconditionally, whose failure ends the parse, join this state.
    while (below?.ev?.kind === "check" && !below.f?.ev && below.ev.end - cursor <= span) {
      then.push({ extractFrom: below.ev.start, end: below.ev.end, anchor: below.ev.anchor, ref: below.ev.ref });
      below = below.t;
    }
    const state = { id, cursor, end, extractFrom: cursor, ...(anchor === undefined ? {} : { anchor }), ref, then, rows };
    states.push(state);
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
      rows.push({ constraints: cs, next: stateFor(n.ev.start, n.ev.end, n.ev.anchor, n.ev.ref, n.t) });
      return;
    }
    const merged = merge(cs, n.ev.constraints);
    if (merged) emit(n.t, merged, rows);
    emit(n.f, cs, rows);
  };

  let start: number;
  if (root.ev?.kind === "check") {
    if (root.f?.ev) throw new ParseError(`after the first bounds check fails, the program parses on`);
    start = stateFor(root.ev.start, root.ev.end, root.ev.anchor, root.ev.ref, root.t);
  } else start = stateFor(0, 0, undefined, 0, root);
  return { start, states };
}

function describe(ev: NonNullable<Node["ev"]>): string {
  return ev.kind === "check" ? `${ev.start}..${ev.end - 1}` : `condition ${ev.atom}`;
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
