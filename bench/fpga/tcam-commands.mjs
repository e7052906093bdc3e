#!/usr/bin/env node
// Cycles of the host's TCAM commands on the FPGA engine (Verilator): insert and delete on a
// table of n rows (4-byte keys, 8-byte data: 32-byte rows), at the front (every row moves),
// at the end (every row is passed, none moves), and a delete of row 0 (every later row
// moves up). One command per case, the table carried from case to case.
// Usage: npx tsc -p . && node bench/fpga/tcam-commands.mjs
// Figures go to docs/PERFORMANCE.md by hand, with this command.
import { assemble } from "../../dist/frontends/bpf/asm/assemble.js";
import { mapLayout, mapsFile } from "../../dist/backends/fpga/maps.js";
import { buildEngineModel, runEngine } from "../../dist/backends/fpga/sim.js";
import { instantiateMaps } from "../../dist/runtime/interp/run.js";

const object = assemble(".map t tcam key=4 value=8 entries=16\nmov %r0, 0\nexit", "b.s");
const layout = mapLayout(object.maps);
const model = buildEngineModel({ jobs: 2 });
const all = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
const cmd = (op, key, priority) => ({ op, map: 0, key: Uint8Array.of(key, 0, 0, 0), valueSize: 8, tcam: { mask: all, priority }, ...(op === "update" ? { value: new Uint8Array(8).fill(key), flags: 0 } : {}) });

console.log("| rows n | insert at the front (n rows move) | insert at the end (n rows passed) | delete row 0 (n-1 rows move) |");
console.log("|---|---|---|---|");
for (const n of [1, 2, 4, 8, 15]) {
  const maps = instantiateMaps(object);
  for (let i = 0; i < n; i++) maps[0].insert(Uint8Array.of(100 + i, 0, 0, 0), all, 5, new Uint8Array(8));
  const one = (name, c, first) => ({ name, slots: [], control: { commands: [c], keepState: !first }, ...(first ? { maps: mapsFile(layout, maps) } : {}) });
  const [front, , end] = runEngine(model, [
    one("front", cmd("update", 1, 9), true),
    one("undo", cmd("delete", 1, 9), false),
    one("end", cmd("update", 2, 0), false),
    one("undo2", cmd("delete", 2, 0), false),
  ]);
  const [del] = runEngine(model, [one("del", { ...cmd("delete", 100, 5) }, true)]);
  for (const r of [front, end, del]) if (r.control[0].status !== "done" || r.control[0].r0 !== 0n) throw new Error(`${r.name}: ${JSON.stringify(r.control[0], (_, v) => typeof v === "bigint" ? v.toString() : v)}`);
  console.log(`| ${n} | ${front.cycles} | ${end.cycles} | ${del.cycles} |`);
}
