#!/usr/bin/env node
// The asic target on the P4 corpus: pipeline resources used against the default
// descriptor (stages, SRAM and TCAM blocks, PHV bits, parser states), the control flow's
// size (action tables other than the keyless compute tables: the path table before issue
// 10's gateways, then the action blocks, selection and stateful ALU tables; their rows; the
// gateway rows under which match tables are applied) and the compile time of the whole build (P4 frontend, BPF round trip, recovery,
// placement, files), median of `runs`. A program the pipeline refuses is listed with its
// first reason.
// Usage: npm run build && node bench/asic.mjs [runs]
import { asicCorpus } from "./asic-corpus.mjs";

const runs = Number(process.argv[2] ?? 5);
const { names, build: buildProgram } = await asicCorpus();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log("| program | stages | SRAM blocks | TCAM blocks | gateways | PHV bits | parser states | action tables | action rows | match-table gate rows | compile ms |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const name of names) {
  const build = () => buildProgram(name);
  let files;
  try {
    files = build();
  } catch (e) {
    console.log(`| ${name} | refused: ${String(e.message).split("\n")[0].replace(/^.*?: error: /, "")} | | | | | | | | | |`);
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
  let blocks = 0, rows = 0, gateRows = 0;
  for (let s = 0; s < r.stages_used; s++) {
    const stage = JSON.parse(text(`asic/stage-${String(s).padStart(2, "0")}.json`));
    for (const t of stage.match_tables) gateRows += t.when ? t.when.rows.length : 0;
    for (const t of stage.action_tables) {
      rows += t.rows.length;
      if (!/^compute\d+$/.test(t.name)) blocks++;
    }
  }
  console.log(`| ${name} | ${r.stages_used}/${r.capacity.stages} | ${r.total.sram_blocks}/${r.capacity.sram_blocks * r.capacity.stages} | ${r.total.tcam_blocks}/${r.capacity.tcam_blocks * r.capacity.stages} | ${r.total.gateways} | ${r.phv_bits.used}/${r.phv_bits.total} | ${r.parser.states} | ${blocks} | ${rows} | ${gateRows} | ${median(times).toFixed(1)} |`);
}
