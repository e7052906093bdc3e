// How a P4 table lives in a BPF map: the key and value byte layouts, shared by the lowering
// (lower.ts writes keys and reads values) and the control plane (entries.ts writes entries).
//   hash: key fields in declaration order, each in 1/2/4/8 bytes aligned to its size, in
//         host (little-endian) order, as a C struct of the fields would be (p4c's eBPF backend
//         does the same);
//   lpm_trie: a u32 prefixlen (host order) then the fields in network order, each in
//         ceil(W/8) bytes with the value left-aligned, the lpm field last;
//   tcam: the fields in network order as for lpm_trie, without the prefixlen.
// The value: u32 action index (position in the table's `actions`), then the action's data
// parameters, each in 1/2/4/8 bytes aligned to its size, host order. Its size is the
// largest over the actions.

export interface TableInfo {
  readonly mapName: string;
  readonly control: string;
  readonly table: string;
  readonly keys: readonly { readonly name: string; readonly kind: string; readonly width: number; readonly pos?: unknown }[];
  readonly actions: readonly { readonly name: string; readonly params: readonly { readonly name: string; readonly width: number }[] }[];
  readonly mapKind: "hash" | "lpm_trie" | "tcam";
  readonly size: number;
}

export interface KeyField {
  readonly offset: number;
  readonly bytes: number;
  readonly width: number;
  readonly order: "le" | "be";
}

const slotBytes = (w: number) => (w <= 8 ? 1 : w <= 16 ? 2 : w <= 32 ? 4 : 8);

export function keyLayout(t: TableInfo): { size: number; fields: KeyField[] } {
  const fields: KeyField[] = [];
  if (t.mapKind === "hash") {
    let at = 0;
    for (const k of t.keys) {
      const b = slotBytes(k.width);
      at = Math.ceil(at / b) * b;
      fields.push({ offset: at, bytes: b, width: k.width, order: "le" });
      at += b;
    }
    return { size: Math.max(1, at), fields };
  }
  let at = t.mapKind === "lpm_trie" ? 4 : 0;
  for (const k of t.keys) {
    const b = Math.ceil(k.width / 8);
    fields.push({ offset: at, bytes: b, width: k.width, order: "be" });
    at += b;
  }
  return { size: at, fields };
}

export function valueLayout(t: TableInfo): { size: number; actions: { params: { offset: number; bytes: number; width: number }[] }[] } {
  let size = 4;
  const actions = t.actions.map((a) => {
    let at = 4;
    const params = a.params.map((p) => {
      const b = slotBytes(p.width);
      at = Math.ceil(at / b) * b;
      const r = { offset: at, bytes: b, width: p.width };
      at += b;
      return r;
    });
    size = Math.max(size, at);
    return { params };
  });
  return { size, actions };
}
