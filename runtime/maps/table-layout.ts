// How a match-action table lives in a map: the key and value byte layouts. One place for
// the rules, read by the P4 frontend (frontends/p4/tables.ts: the control plane writes
// entries in them) and by the IR pass that lowers `table.apply` to `map.lookup`
// (ir/passes/lower-tables.ts: the data plane builds keys in them). Both import runtime/,
// which imports neither.
//   hash: key fields in declaration order, each in 1/2/4/8 bytes aligned to its size, in
//         host (little-endian) order, as a C struct of the fields would be (p4c's eBPF
//         backend does the same);
//   lpm_trie: a u32 prefixlen (host order) then the fields in network order, each in
//         ceil(W/8) bytes with the value left-aligned, the lpm field last;
//   tcam: the fields in network order as for lpm_trie, without the prefixlen.
// The value: u32 action index (position in the table's action list), then the action's
// data parameters, each in 1/2/4/8 bytes aligned to its size, host order. Its size is the
// largest over the actions.

/** The map kinds a table can be backed by (exact → hash, lpm → lpm_trie, ternary/range → tcam). */
export type TableMapKind = "hash" | "lpm_trie" | "tcam";

export interface KeyField {
  readonly offset: number;
  readonly bytes: number;
  readonly width: number;
  /** le: the value in host order; be: network order, left-aligned (LPM and TCAM match from the MSB). */
  readonly order: "le" | "be";
}

export interface KeyLayout {
  readonly size: number;
  readonly fields: readonly KeyField[];
}

/** The slot a scalar of W bits takes in a host-order struct. */
export const slotBytes = (w: number): 1 | 2 | 4 | 8 => (w <= 8 ? 1 : w <= 16 ? 2 : w <= 32 ? 4 : 8);

/** The key layout for fields of these widths (bits), in order, in a map of this kind. */
export function tableKeyLayout(mapKind: TableMapKind, widths: readonly number[]): KeyLayout {
  const fields: KeyField[] = [];
  if (mapKind === "hash") {
    let at = 0;
    for (const w of widths) {
      const b = slotBytes(w);
      at = Math.ceil(at / b) * b;
      fields.push({ offset: at, bytes: b, width: w, order: "le" });
      at += b;
    }
    // A key of no bytes is not a map key: a keyless table still gets one zero byte.
    return { size: Math.max(1, at), fields };
  }
  let at = mapKind === "lpm_trie" ? 4 : 0;
  for (const w of widths) {
    const b = Math.ceil(w / 8);
    fields.push({ offset: at, bytes: b, width: w, order: "be" });
    at += b;
  }
  return { size: at, fields };
}

export interface ValueLayout {
  readonly size: number;
  /** Per action (in the table's order): where each data parameter lives. */
  readonly actions: readonly { readonly params: readonly { readonly offset: number; readonly bytes: number; readonly width: number }[] }[];
}

/** The value layout for actions whose data parameters have these widths (bits). */
export function tableValueLayout(actions: readonly (readonly number[])[]): ValueLayout {
  let size = 4;
  const out = actions.map((widths) => {
    let at = 4;
    const params = widths.map((w) => {
      const b = slotBytes(w);
      at = Math.ceil(at / b) * b;
      const r = { offset: at, bytes: b, width: w };
      at += b;
      return r;
    });
    size = Math.max(size, at);
    return { params };
  });
  return { size, actions: out };
}
