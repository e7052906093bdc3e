#!/usr/bin/env node
// The XDP examples on the FPGA engine in Verilator: cycles and BPF instructions per packet
// and instructions per cycle, for clang's object as it is (`bpfoff run --target fpga`), for
// the bundle bpfoff compiles from it through its IR (`bpfoff build` + `bpfoff sim`), and for
// the bundle bpfoff compiles from the C source with its own frontend (no clang); one table
// per engine configuration: 1 lane (the program as it is) and 4 lanes (scheduled bundles).
// Retired instructions count BPF instructions (a fused slot as the two it replaces).
// Usage: npm run build && node bench/fpga/examples.mjs [--synth MAPPING] [--lanes 1,4]
// With --synth, also yosys's figures for each example's bundle (about a minute each).
// Examples the engine cannot run yet are listed with the offload check's first reason.
// Figures go to docs/PERFORMANCE.md by hand, with this command.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const EXAMPLES = ["firewall", "router", "loadbalancer", "vlan", "counter"];
const synthAt = process.argv.indexOf("--synth");
const mapping = synthAt > 0 ? process.argv[synthAt + 1] ?? "generic" : undefined;
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-fpga-"));
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const lanesAt = process.argv.indexOf("--lanes");
const LANES = (lanesAt > 0 ? process.argv[lanesAt + 1] : "1,4").split(",");
let lanes = LANES[0];
const bpfoff = (args) => spawnSync("node", ["bin/bpfoff", ...args], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, BPFOFF_FPGA_LANES: lanes } });

/** Average cycles and retired instructions over the `fpga: ... N cycles, M instructions retired` lines. */
function averages(stderr) {
  const rows = [...stderr.matchAll(/(\d+) cycles, (\d+) instructions retired/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const cycles = rows.reduce((n, r) => n + r[0], 0) / rows.length;
  const insns = rows.reduce((n, r) => n + r[1], 0) / rows.length;
  return { packets: rows.length, cycles, insns, ipc: insns / cycles };
}

const fmt = (x) => x.toFixed(1);
for (lanes of LANES) {
mkdirSync(dir, { recursive: true });
console.log(`\n${lanes} lane(s):\n`);
console.log("| example | packets | clang object: cycles / packet | insns / packet | IPC | bundle from clang's object: cycles / packet | insns / packet | IPC | bundle from the C (bpfoff's frontend): cycles / packet | insns / packet | IPC |" + (mapping ? ` ${mapping}: LUTs | FFs | BRAMs | DSPs | depth |` : ""));
console.log("|---|---|---|---|---|---|---|---|---|---|---|" + (mapping ? "---|---|---|---|---|" : ""));
try {
  for (const name of EXAMPLES) {
    const obj = join(dir, `${name}.o`);
    const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", `examples/${name}/prog.c`, "-o", obj], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(cc.stderr);
    const io = ["--pcap", `examples/${name}/packets.pcap`, "--maps-in", `examples/${name}/maps.json`];
    const run = bpfoff(["run", obj, "--target", "fpga", ...io, "--stats"]);
    if (run.status !== 0) {
      console.log(`| ${name} | — | not on the engine yet: ${run.stderr.split("\n")[0].replace(/^bpfoff: error: /, "")} |`);
      continue;
    }
    const bundle = join(dir, `${name}-fpga`);
    const build = bpfoff(["build", obj, "--target", "fpga", "-o", bundle, ...(mapping ? ["--synth", mapping] : [])]);
    if (build.status !== 0) throw new Error(build.stderr);
    const sim = bpfoff(["sim", bundle, ...io]);
    if (sim.status !== 0) throw new Error(sim.stderr);
    const fromC = join(dir, `${name}-c-fpga`);
    const buildC = bpfoff(["build", `examples/${name}/prog.c`, "--target", "fpga", "-o", fromC]);
    if (buildC.status !== 0) throw new Error(buildC.stderr);
    const simC = bpfoff(["sim", fromC, ...io]);
    if (simC.status !== 0) throw new Error(simC.stderr);
    const a = averages(run.stderr);
    const b = averages(sim.stderr);
    const c = averages(simC.stderr);
    let synth = "";
    if (mapping) {
      const m = /(\d+) LUTs, (\d+) flip-flops, (\d+) block RAMs, (\d+) DSPs, \d+ unmapped memories, logic depth (\d+)/.exec(build.stdout);
      synth = ` ${m.slice(1).join(" | ")} |`;
    }
    console.log(`| ${name} | ${a.packets} | ${fmt(a.cycles)} | ${fmt(a.insns)} | ${a.ipc.toFixed(2)} | ${fmt(b.cycles)} | ${fmt(b.insns)} | ${b.ipc.toFixed(2)} | ${fmt(c.cycles)} | ${fmt(c.insns)} | ${c.ipc.toFixed(2)} |${synth}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
}
