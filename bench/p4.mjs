#!/usr/bin/env node
// The P4 corpus as BPF: program size and BPF instructions the reference interpreter runs
// per packet, over each program's STF packets with its `add` entries installed.
// Usage: npx tsc -p . && node bench/p4.mjs [root] [corpus]
//   root: the checkout whose dist/ to measure (default .); corpus: the directory of X.p4 and
//   X.stf (default test/frontends/p4/corpus), so that two versions run the same files.
// Figures go to docs/PERFORMANCE.md by hand, with this command.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(process.argv[2] ?? ".");
const corpus = resolve(process.argv[3] ?? "test/frontends/p4/corpus");
const load = async (p) => import(pathToFileURL(join(root, "dist", p)).href);
const { loadP4 } = await load("cli/load-p4.js");
const { parseStf } = await load("frontends/p4/stf.js");
const { encodeEntry } = await load("frontends/p4/entries.js");
const { checkHelpers, instantiateMaps, runXdp } = await load("runtime/interp/run.js");
const { newHostState } = await load("runtime/helpers/env.js");
const { writeEntry } = await load("runtime/maps/index.js");

console.log(`| program | BPF instructions | packets | BPF insns run / packet |`);
console.log(`|---|---|---|---|`);
for (const file of readdirSync(corpus).filter((f) => f.endsWith(".p4")).sort()) {
  const name = file.replace(/\.p4$/, "");
  let loaded;
  try {
    loaded = loadP4(readFileSync(join(corpus, file)), file);
  } catch (e) {
    console.log(`| ${name} | (does not compile here: ${String(e.message).split("\n")[0].slice(0, 60)}) | | |`);
    continue;
  }
  const { object, p4 } = loaded;
  checkHelpers(object, "xdp");
  const maps = instantiateMaps(object);
  let packets = 0;
  let steps = 0;
  for (const c of parseStf(readFileSync(join(corpus, `${name}.stf`), "utf8"), `${name}.stf`)) {
    if (c.cmd === "add") {
      const r = encodeEntry(p4.tables, c.entry);
      for (const entry of r.entries ?? [r.entry]) writeEntry(maps[object.maps.findIndex((m) => m.name === r.table.mapName)], entry);
    } else if (c.cmd === "packet") {
      steps += runXdp(object, c.data, maps, newHostState(), { ingressIfindex: c.port, rxQueueIndex: 0 }).steps;
      packets++;
    }
  }
  console.log(`| ${name} | ${object.programs[0].slots.length} | ${packets} | ${(steps / packets).toFixed(1)} |`);
}
