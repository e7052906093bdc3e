#!/usr/bin/env node
// The XDP examples on the FPGA engine in Verilator: cycles and BPF instructions per packet
// and instructions per cycle, for clang's object as it is (`bpfoff run --target fpga`), for
// the bundle bpfoff compiles from it through its IR (`bpfoff build` + `bpfoff sim`), and for
// the bundle bpfoff compiles from the C source with its own frontend (no clang); one table
// per engine configuration: 1 lane (the program as it is) and 4 lanes (scheduled bundles).
// Instructions per packet are the interpreter's (the program run on one lane, which retires
// exactly the instructions the interpreter steps): on more lanes the engine's own retired
// count also holds operations hoisted above a jump that ran on the path the jump took, so
// IPC is the interpreter's count over the engine's cycles.
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
const bpfoff = (args, onLanes = lanes) => spawnSync("node", ["bin/bpfoff", ...args], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, BPFOFF_FPGA_LANES: onLanes } });

/** Average cycles and retired instructions over the `fpga: ... N cycles, M instructions retired` lines. */
function averages(stderr) {
  const rows = [...stderr.matchAll(/(\d+) cycles, (\d+) instructions retired/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const cycles = rows.reduce((n, r) => n + r[0], 0) / rows.length;
  const insns = rows.reduce((n, r) => n + r[1], 0) / rows.length;
  return { packets: rows.length, cycles, insns };
}

/** A run's cycles against the interpreter's instructions (`ref`: the same program on one lane). */
const against = (run, ref) => ({ packets: run.packets, cycles: run.cycles, insns: ref.insns, ipc: ref.insns / run.cycles });

/** `args` run through bpfoff on `onLanes` lanes, its per-packet averages; exits on failure. */
function measured(args, onLanes) {
  const r = bpfoff(args, onLanes);
  if (r.status !== 0) throw new Error(r.stderr);
  return averages(r.stderr);
}

const fmt = (x) => x.toFixed(1);
for (lanes of LANES) {
mkdirSync(dir, { recursive: true });
console.log(`\n${lanes} lane(s):\n`);
console.log("| example | packets | clang object: cycles / packet | interpreter insns / packet | IPC | bundle from clang's object: cycles / packet | interpreter insns / packet | IPC | bundle from the C (bpfoff's frontend): cycles / packet | interpreter insns / packet | IPC |" + (mapping ? ` ${mapping}: LUTs | FFs | BRAMs | DSPs | depth |` : ""));
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
    const fromC = join(dir, `${name}-c-fpga`);
    const buildC = bpfoff(["build", `examples/${name}/prog.c`, "--target", "fpga", "-o", fromC]);
    if (buildC.status !== 0) throw new Error(buildC.stderr);
    // the interpreter's counts: each program on one lane (a bundle's prog.bpf.hex is its program)
    const oneLane = (src) => {
      const one = join(dir, `${name}-1`);
      const b1 = bpfoff(["build", src, "--target", "fpga", "-o", one], "1");
      if (b1.status !== 0) throw new Error(b1.stderr);
      const m = measured(["sim", one, ...io], "1");
      rmSync(one, { recursive: true, force: true });
      return m;
    };
    const runA = averages(run.stderr);
    const simB = measured(["sim", bundle, ...io]);
    const simC = measured(["sim", fromC, ...io]);
    const one = lanes === "1";
    const a = against(runA, one ? runA : measured(["run", obj, "--target", "fpga", ...io, "--stats"], "1"));
    const b = against(simB, one ? simB : oneLane(obj));
    const c = against(simC, one ? simC : oneLane(`examples/${name}/prog.c`));
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
