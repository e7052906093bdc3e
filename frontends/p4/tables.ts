// A P4 table as the control plane and the lowering see it: its map, keys and actions. The
// byte layouts of its key and value live in runtime/maps/table-layout.ts, shared with the
// IR pass that lowers `table.apply` (ir/passes/lower-tables.ts).
import { tableKeyLayout, tableValueLayout, type KeyLayout, type TableMapKind, type ValueLayout } from "../../runtime/maps/table-layout.js";

export type { KeyField } from "../../runtime/maps/table-layout.js";

export interface TableInfo {
  readonly mapName: string;
  readonly control: string;
  readonly table: string;
  readonly keys: readonly { readonly name: string; readonly kind: string; readonly width: number; readonly pos?: unknown }[];
  readonly actions: readonly { readonly name: string; readonly params: readonly { readonly name: string; readonly width: number }[] }[];
  readonly mapKind: TableMapKind;
  readonly size: number;
  /**
   * The table's default-action map (`<control>_<table>_defaultAction`, p4c's eBPF naming):
   * an array of one element in the table's value layout, except that the u32 holds the
   * action's index + 1, so that the zeroed element means "the declared default_action".
   * STF `setdefault` writes it. Absent for `const default_action` tables.
   */
  readonly defaultMap?: string;
  /** A parser value set (§12.11): entries are its members, with no action; the value is a u32 0. */
  readonly valueSet?: boolean;
}

export function keyLayout(t: TableInfo): KeyLayout {
  return tableKeyLayout(t.mapKind, t.keys.map((k) => k.width));
}

export function valueLayout(t: TableInfo): ValueLayout {
  return tableValueLayout(t.actions.map((a) => a.params.map((p) => p.width)));
}
