// The deparser's header list (docs/asic-pipeline.md §Deparser): a chip's deparser has one
// fixed, ordered list of headers, each some container bytes and a validity bit, and emits
// the headers whose bit is set, in list order, then the payload. Each path's output plan
// (compile/pipeline.ts outputPlan) is a sequence of byte labels; cut into headers (runs of
// bytes of one header instance, of the pushed output bytes, of one table's action data or
// of one temporary or metadata field), every path's sequence must be a subsequence of the
// list. The list is built as a common supersequence of the paths' sequences: a header a
// path emits is matched to the first equal entry after the previous one it matched, or
// inserted there as a new entry. So any set of outputs is expressible (two paths emitting
// A before B and B after A give A, B, A: the second A is an entry of its own, with its own
// bit), and no per-path layout is needed.
//
// Invariants: entries are compared by their whole byte sequence (a path emitting fewer of a
// header's bytes has an entry of its own); paths are taken in the order given, so the list
// is deterministic, and it follows the parse order wherever the paths agree with it (the
// first path's headers come in its output order, each later header right after the
// header it follows on its path). Adjacent entries emitted on the same paths are merged.
import * as B from "../analysis/bits.js";

export interface DeparserHeader {
  /** What the header's bytes are: `@A` (header instance A), `pushed`, `data:T`, or the field. */
  readonly family: string;
  /** Its byte labels, in output order (compile/pipeline.ts outputPlan's emit labels). */
  readonly labels: readonly string[];
}

export interface DeparserList {
  readonly headers: readonly DeparserHeader[];
  /** Per path, the indices of the headers it emits (ascending: list order is output order). */
  readonly valid: readonly (readonly number[])[];
}

/** The header a byte label belongs to: consecutive bytes of one family are one header. */
export function familyOf(label: string): string {
  const p = B.packetLabel(`${label}:0`);
  if (p) return `@${p.anchor}`;
  if (label.startsWith("o:")) return "pushed";
  if (label.startsWith("t:")) return `data:${label.split(":")[1]}`;
  // a temporary's or metadata field's byte-aligned bits (x:n:bit, m:f:bit): the field
  return label.slice(0, label.lastIndexOf(":"));
}

/** A path's output labels cut into headers. */
export function headersOf(emit: readonly string[]): DeparserHeader[] {
  const out: { family: string; labels: string[] }[] = [];
  for (const l of emit) {
    const family = familyOf(l);
    const last = out.at(-1);
    if (last && last.family === family) last.labels.push(l);
    else out.push({ family, labels: [l] });
  }
  return out;
}

/** The ordered header list for the paths' outputs, and which entries each path sets valid. */
export function deparserList(emits: readonly (readonly string[])[]): DeparserList {
  const list: { header: DeparserHeader; sig: string }[] = [];
  const chosen: { header: DeparserHeader; sig: string }[][] = [];
  for (const emit of emits) {
    const mine: { header: DeparserHeader; sig: string }[] = [];
    let pos = -1;
    for (const h of headersOf(emit)) {
      const sig = JSON.stringify(h.labels);
      let at = list.findIndex((e, i) => i > pos && e.sig === sig);
      if (at < 0) {
        at = pos + 1;
        list.splice(at, 0, { header: h, sig });
      }
      mine.push(list[at]!);
      pos = at;
    }
    chosen.push(mine);
  }
  // Adjacent entries that every path emits together or not at all are one header (a
  // varbit's bytes, extracted byte by byte, or an Ethernet header and the tag behind it):
  // one validity bit, not one per family.
  const users = list.map((e) => chosen.flatMap((mine, k) => (mine.includes(e) ? [k] : [])).join(","));
  const merged: { family: string; labels: string[] }[] = [];
  const into: number[] = [];
  list.forEach((e, i) => {
    if (i > 0 && users[i] === users[i - 1]) {
      const last = merged.at(-1)!;
      last.family += `+${e.header.family}`;
      last.labels.push(...e.header.labels);
    } else merged.push({ family: e.header.family, labels: [...e.header.labels] });
    into.push(merged.length - 1);
  });
  const index = new Map(list.map((e, i) => [e, into[i]!]));
  return { headers: merged, valid: chosen.map((mine) => [...new Set(mine.map((e) => index.get(e)!))]) };
}
