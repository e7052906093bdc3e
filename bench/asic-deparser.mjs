#!/usr/bin/env node
// The asic deparser on the P4 corpus: the size of its configuration (asic/deparser.json:
// per-path layouts before, the ordered header list after; entries and the container bytes
// they name), the `select_deparse` table that picks a layout or sets the validity bits
// (actions, rows), and the PHV bits and stages of the whole build. It reads both formats, so
// the figures before come from a build of the commit before (BPFOFF_DIST=that tree's dist).
// Usage: npm run build && node bench/asic-deparser.mjs   [BPFOFF_DIST=/path/to/dist]
import { asicCorpus } from "./asic-corpus.mjs";

const { names, build } = await asicCorpus(process.env.BPFOFF_DIST ?? "dist");
console.log("| program | deparser entries | emitted container bytes | select_deparse actions | select_deparse rows | PHV bits | stages |");
console.log("|---|---|---|---|---|---|---|");
for (const name of names) {
  let files;
  try {
    files = build(name);
  } catch (e) {
    console.log(`| ${name} | refused: ${String(e.message).split("\n")[0]} | | | | | |`);
    continue;
  }
  const json = (p) => JSON.parse(new TextDecoder().decode(files.find(([f]) => f === p)[1]));
  const dep = json("asic/deparser.json");
  const list = dep.layouts ?? dep.headers;
  const emitted = list.reduce((n, e) => n + e.emit.length, 0);
  const r = json("asic/resources.json");
  let actions = 0, rows = 0;
  for (let s = 0; s < r.stages_used; s++) {
    for (const t of json(`asic/stage-${String(s).padStart(2, "0")}.json`).action_tables) if (t.name === "select_deparse") (actions += t.actions.length, rows += t.rows.length);
  }
  console.log(`| ${name} | ${list.length} ${dep.layouts ? "layouts" : "headers"} | ${emitted} | ${actions} | ${rows} | ${r.phv_bits.used} | ${r.stages_used} |`);
}
