// The resource report as text (asic/resources.txt): per stage and in total against the
// descriptor, as a chip compiler's summary table; resources.json holds the same numbers.
import type { ResourceReport } from "./pipeline.js";

const COLUMNS: readonly [key: keyof ResourceReport["total"], head: string][] = [
  ["sram_blocks", "SRAM"],
  ["tcam_blocks", "TCAM"],
  ["logical_tables", "tables"],
  ["gateways", "gateways"],
  ["crossbar_bytes", "xbar B"],
  ["action_slots", "VLIW"],
  ["stateful_alus", "SALU"],
];

export function formatResources(r: ResourceReport, target: string): string {
  const rows: string[][] = [["stage", ...COLUMNS.map(([, h]) => h), "units"]];
  for (const s of r.stages) if (s.units.length) rows.push([String(s.stage), ...COLUMNS.map(([k]) => `${s[k]}/${r.capacity[k]}`), s.units.join(", ")]);
  rows.push(["total", ...COLUMNS.map(([k]) => `${r.total[k]}/${r.capacity[k] * r.capacity.stages}`), ""]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
  return [
    `target ${target}: ${r.stages_used} of ${r.capacity.stages} stages`,
    `PHV: ${r.phv_bits.used} of ${r.phv_bits.total} bits`,
    `parser: ${r.parser.states} of ${r.parser.max_states} states, ${r.parser.tcam_rows} of ${r.parser.max_tcam_rows} TCAM rows`,
    "",
    ...table,
    "",
  ].join("\n");
}
