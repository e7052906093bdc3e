#!/usr/bin/env node
// The asic target on the P4 corpus: pipeline resources used against the default
// descriptor (stages, SRAM and TCAM blocks, PHV bits, parser states) and the compile time
// of the whole build (P4 frontend, BPF round trip, recovery, placement, files), median of
// `runs`. A program the pipeline refuses is listed with its first reason.
// Usage: npm run build && node bench/asic.mjs [runs]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadP4, P4_PIPELINE, entriesForMaps } from "../dist/cli/load-p4.js";
import { buildInMemory } from "../dist/backends/common/pipeline.js";

const runs = Number(process.argv[2] ?? 5);
const dir = "test/frontends/p4/corpus";
const names = readdirSync(dir).filter((f) => f.endsWith(".p4")).map((f) => f.slice(0, -3)).sort();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log("| program | stages | SRAM blocks | TCAM blocks | gateways | PHV bits | parser states | paths (path-table rows) | compile ms |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const name of names) {
  const file = `${dir}/${name}.p4`;
  const bytes = readFileSync(file);
  const build = () => {
    const { object, p4 } = loadP4(bytes, file);
    const entriesFile = `${dir}/${name}.entries.json`;
    const entries = existsSync(entriesFile) ? entriesForMaps(p4, readFileSync(entriesFile, "utf8"), "entries.json") : undefined;
    return buildInMemory({ object, file, bytes, target: "asic", passes: P4_PIPELINE, ...(entries ? { mapEntries: entries } : {}) });
  };
  let files;
  try {
    files = build();
  } catch (e) {
    console.log(`| ${name} | refused: ${String(e.message).split("\n")[0].replace(/^.*?: error: /, "")} | | | | | | | |`);
    continue;
  }
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    build();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const text = (p) => new TextDecoder().decode(files.find(([f]) => f === p)[1]);
  const r = JSON.parse(text("asic/resources.json"));
  const paths = JSON.parse(text(`asic/stage-${String(r.stages_used - 1).padStart(2, "0")}.json`)).action_tables.find((t) => t.name === "paths").rows.length;
  console.log(`| ${name} | ${r.stages_used}/${r.capacity.stages} | ${r.total.sram_blocks}/${r.capacity.sram_blocks * r.capacity.stages} | ${r.total.tcam_blocks}/${r.capacity.tcam_blocks * r.capacity.stages} | ${r.total.gateways} | ${r.phv_bits.used}/${r.phv_bits.total} | ${r.parser.states} | ${paths} | ${median(times).toFixed(1)} |`);
}
