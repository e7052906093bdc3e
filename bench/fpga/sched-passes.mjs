#!/usr/bin/env node
// Static figures of the scheduler's superblock passes (sched/rename.ts, sched/taildup.ts)
// on the five XDP examples as clang compiles them (the object as `bpfoff run --target
// fpga` runs it): bundles in the ROM, filled slots, BPF slots per bundle, the WAW/WAR pairs
// the DAG sees and the webs renamed, the blocks copied by tail duplication; for each set of
// passes. The dynamic figures (cycles per packet) come from examples.mjs with
// BPFOFF_FPGA_PASSES set to the same sets.
// Usage: npm run build && node bench/fpga/sched-passes.mjs [--lanes 4]
// Figures go to docs/PERFORMANCE.md by hand, with this command.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBpf } from "../../dist/frontends/bpf/load.js";
import { romLayout } from "../../dist/backends/fpga/programs.js";
import { bundleRom, romFigures } from "../../dist/backends/fpga/sched/rom.js";
import { SCHED_PASSES } from "../../dist/backends/fpga/sched/schedule.js";

const EXAMPLES = ["firewall", "router", "loadbalancer", "vlan", "counter"];
const lanesAt = process.argv.indexOf("--lanes");
const lanes = Number(lanesAt > 0 ? process.argv[lanesAt + 1] : 4);
const SETS = [[], ...SCHED_PASSES.map((p) => [p]), SCHED_PASSES];
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-passes-"));
console.log(`${lanes} lanes\n`);
console.log("| example | slots | passes | bundles | filled slots | slots / bundle | WAW+WAR pairs | webs renamed | blocks copied |");
console.log("|---|---|---|---|---|---|---|---|---|");
try {
  for (const name of EXAMPLES) {
    const obj = join(dir, `${name}.o`);
    const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", `examples/${name}/prog.c`, "-o", obj], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(cc.stderr);
    const object = loadBpf(readFileSync(obj), obj);
    const rom = romLayout(object, 0);
    for (const passes of SETS) {
      const b = bundleRom(rom, lanes, { xdp: true, passes, mapValueSizes: object.maps.map((m) => m.valueSize) });
      const f = romFigures(b);
      const st = b.schedules.reduce((t, s) => ({ webs: t.webs + (s.passStats?.webs ?? 0), before: t.before + (s.passStats?.nameDepsBefore ?? 0), after: t.after + (s.passStats?.nameDepsAfter ?? 0), copied: t.copied + (s.passStats?.copied ?? 0) }), { webs: 0, before: 0, after: 0, copied: 0 });
      console.log(`| ${name} | ${rom.slots.length} | ${passes.length ? passes.join("+") : "none"} | ${f.bundles} | ${f.filled} | ${(f.instructions / f.bundles).toFixed(2)} | ${st.before} -> ${st.after} | ${st.webs} | ${st.copied} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
