#!/usr/bin/env node
// Where an FPGA engine run's cycles go: one bundle a cycle is the ideal; every other
// cycle is charged to a cause read off the waveform (`bpfoff sim --vcd`): a bubble in
// execute after a taken jump or a call's or exit's redirect, or the pipeline's fill at
// start; or execute holding a bundle while a bpf-to-bpf call or a subprogram's exit
// waits for the pipeline to drain, a map helper's sequence, a helper, an atomic or a
// divide runs. (Before loads forwarded from the memory stage, a bubble after a load-use
// hold was a cause of its own, and helper calls waited for the drain too.)
// Usage: npm run build && node bench/fpga/stalls.mjs [--lanes 4] [example ...]
// (the five XDP examples by default; each run builds the traced model once per engine).
// Figures go to docs/PERFORMANCE.md by hand, with this command.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const lanesAt = args.indexOf("--lanes");
const lanes = lanesAt >= 0 ? args.splice(lanesAt, 2)[1] : "4";
const EXAMPLES = args.length > 0 ? args : ["firewall", "router", "loadbalancer", "vlan", "counter"];
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const bpfoff = (a) => spawnSync("node", ["bin/bpfoff", ...a], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, BPFOFF_FPGA_LANES: lanes } });

// bpf_core.v's instruction kinds (K_*), by value.
const K = { DIV: 1, LDX: 3, ATOMIC: 5, JCC: 7, CALL: 8, CALL_LOCAL: 9, EXIT: 10 };
const SIGNALS = ["running", "e_valid", "fire", "e_kind", "redirect", "d_valid", "is_map_helper"];

/** Per-cycle samples of the core's signals: the values settled before each rising edge (the tb dumps clk=0 at even times). */
function samples(vcd) {
  const ids = new Map();
  const lines = vcd.split("\n");
  let i = 0;
  for (; i < lines.length && !lines[i].startsWith("$enddefinitions"); i++) {
    const m = /^\s*\$var\s+\S+\s+\d+\s+(\S+)\s+(\S+)/.exec(lines[i]);
    if (m && SIGNALS.includes(m[2]) && !ids.has(m[1]) && scopeIsCore(lines, i)) ids.set(m[1], m[2]);
  }
  const now = Object.fromEntries(SIGNALS.map((s) => [s, 0]));
  const out = [];
  let time = -1;
  const flush = () => { if (time >= 0 && time % 2 === 0) out.push({ ...now }); };
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("#")) {
      flush();
      time = Number(l.slice(1));
    } else if (l.startsWith("b")) {
      const [v, id] = l.slice(1).split(" ");
      if (ids.has(id)) now[ids.get(id)] = parseInt(v.replace(/[xz]/g, "0"), 2);
    } else if (l.length > 1 && (l[0] === "0" || l[0] === "1")) {
      const id = l.slice(1);
      if (ids.has(id)) now[ids.get(id)] = Number(l[0]);
    }
  }
  flush();
  return out;
}

/** Is the $var at line i declared directly in the core's scope (…core $end)? */
function scopeIsCore(lines, i) {
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    if (lines[j].includes("$upscope")) depth++;
    else if (lines[j].includes("$scope")) {
      if (depth === 0) return /\$scope module core \$end/.test(lines[j]);
      depth--;
    }
  }
  return false;
}

/** The cause a cycle is charged to; "bundle" is the one useful cycle of each bundle. */
function cause(s, prev) {
  if (s.e_valid) {
    if (s.fire) return "bundle";
    switch (s.e_kind) {
      // helper calls forward their arguments (no drain since this commit's bpf_core.v)
      case K.CALL: return s.is_map_helper ? "map helper" : "helper";
      case K.CALL_LOCAL:
      case K.EXIT: return "call/exit: drain";
      case K.ATOMIC: return "atomic";
      case K.DIV: return "divide";
      default: return "other";
    }
  }
  if (!prev || !prev.running || !prev.d_valid) return "start";
  if (prev.redirect) return prev.e_kind === K.JCC ? "taken branch" : "call/exit redirect";
  return "other";
}

const CAUSES = ["bundle", "start", "taken branch", "call/exit: drain", "map helper", "helper", "atomic", "call/exit redirect", "divide", "other"];
const dir = mkdtempSync(join(tmpdir(), "bpfoff-stalls-"));
console.log(`\n${lanes} lane(s): cycles per packet by cause\n`);
console.log(`| example | packets | cycles | ${CAUSES.join(" | ")} |`);
console.log(`|---|---|---|${CAUSES.map(() => "---").join("|")}|`);
try {
  for (const name of EXAMPLES) {
    const obj = join(dir, `${name}.o`);
    const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", `examples/${name}/prog.c`, "-o", obj], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(cc.stderr);
    const bundle = join(dir, `${name}-fpga`);
    const build = bpfoff(["build", obj, "--target", "fpga", "-o", bundle]);
    if (build.status !== 0) throw new Error(build.stderr);
    const vcd = join(dir, `${name}.vcd`);
    const sim = bpfoff(["sim", bundle, "--pcap", `examples/${name}/packets.pcap`, "--maps-in", `examples/${name}/maps.json`, "--vcd", vcd]);
    if (sim.status !== 0) throw new Error(sim.stderr);
    const packets = [...sim.stderr.matchAll(/(\d+) cycles, \d+ instructions retired/g)].map((m) => Number(m[1]));
    const count = Object.fromEntries(CAUSES.map((c) => [c, 0]));
    const all = samples(readFileSync(vcd, "utf8"));
    all.forEach((s, k) => { if (s.running) count[cause(s, all[k - 1])]++; });
    const total = packets.reduce((a, b) => a + b, 0);
    const charged = CAUSES.reduce((n, c) => n + count[c], 0);
    if (charged !== total) console.error(`${name}: ${charged} cycles charged, the engine counted ${total}`);
    const per = (n) => (n / packets.length).toFixed(1);
    console.log(`| ${name} | ${packets.length} | ${per(total)} | ${CAUSES.map((c) => per(count[c])).join(" | ")} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
