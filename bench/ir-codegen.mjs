#!/usr/bin/env node
// The IR round trip on the examples: instructions of clang's object, and of bpfoff's
// re-emission after lifting with no passes, with the default pipeline (-O), and with the
// pipeline for targets without back edges; plus the time each takes.
// Usage: npm run build && node bench/ir-codegen.mjs
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadElf } from "../dist/frontends/bpf/elf/load.js";
import { liftProgram } from "../dist/ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../dist/ir/passes/index.js";
import { compileModule } from "../dist/backends/bpf/codegen/index.js";
import { instantiateMaps, runXdp } from "../dist/runtime/interp/run.js";
import { newHostState } from "../dist/runtime/helpers/env.js";
import { loadMapsState } from "../dist/runtime/maps/state.js";
import { readPcap } from "../dist/runtime/packet/pcap.js";

/** BPF instructions executed per packet over the example's pcap (maps carried over). */
function executed(name, obj) {
  const maps = instantiateMaps(obj);
  loadMapsState(maps, readFileSync(`examples/${name}/maps.json`, "utf8"), "maps.json");
  const host = newHostState();
  const pcap = readPcap(readFileSync(`examples/${name}/packets.pcap`), name);
  const steps = pcap.packets.reduce((n, p) => n + runXdp(obj, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }).steps, 0);
  return (steps / pcap.packets.length).toFixed(1);
}

const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-ir-"));
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const pipelines = { "no passes": [], "-O": DEFAULT_PIPELINE, "-O, unrolled, if-converted": ["unroll", ...DEFAULT_PIPELINE, "if-convert", "simplify-cfg", "dce"] };
console.log("Static instructions (executed per packet on the example's pcap):");
console.log("");
console.log(`| example | clang -O2 | ${Object.keys(pipelines).join(" | ")} | lift+passes+codegen ms (-O) |`);
console.log(`|---|---|${Object.keys(pipelines).map(() => "---").join("|")}|---|`);
for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
  const o = join(dir, `${name}.o`);
  const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", `examples/${name}/prog.c`, "-o", o], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(cc.stderr);
  const obj = loadElf(readFileSync(o), o);
  const counts = [];
  let ms = 0;
  for (const [label, passes] of Object.entries(pipelines)) {
    const runs = 20;
    const t0 = process.hrtime.bigint();
    let out;
    for (let r = 0; r < runs; r++) out = compileModule(runPasses(liftProgram(obj, 0, "xdp"), passes), { name, section: "xdp", mapInit: obj.mapInit, license: "GPL" });
    if (label === "-O") ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
    counts.push(`${out.programs[0].slots.length} (${executed(name, out)})`);
  }
  console.log(`| ${name} | ${obj.programs[0].slots.length} (${executed(name, obj)}) | ${counts.join(" | ")} | ${ms.toFixed(1)} |`);
}
