#!/usr/bin/env node
// The XDP examples on the NPU micro-engine (backends/npu, docs/npu-isa.md): code size and
// cycle-level figures from the simulator, at the timing of offload-hooks/targets/npu.json.
// Usage: npm run build && node bench/npu.mjs [REPEAT]
// Each example is compiled by clang -O2, lifted and optimised as `bpfoff build` does, and
// compiled to microcode twice: as bpfoff does (32-bit words where the width analysis
// proves the high word zero) and pair-for-everything (every scalar a register pair, the
// naive translation). Its pcap is replayed REPEAT times (default 16), maps carried over.
//   microwords / BPF insn: static size against the BPF program the build pipeline makes
//   cycles / packet: total cycles over packets (throughput), on one engine with 1 and 8 threads
//   latency: a packet's first microword to its `done`, averaged, with 8 threads
//   utilisation: issue cycles over all cycles of the engine, 1 and 8 threads
//   Mpps: packets per second at the descriptor's clock, one engine and all of them
// Every run's verdicts are checked against the 1-thread run. Figures go to docs/PERFORMANCE.md.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileForNpu, moduleOf, npuDescriptor, npuTiming, simulate } from "../dist/backends/npu/backend.js";
import { buildInMemory } from "../dist/backends/common/pipeline.js";
import { loadBpf } from "../dist/frontends/bpf/load.js";
import { instantiateMaps } from "../dist/runtime/interp/run.js";
import { loadMapsState } from "../dist/runtime/maps/state.js";
import { readPcap } from "../dist/runtime/packet/pcap.js";

const EXAMPLES = ["firewall", "router", "loadbalancer", "vlan", "counter"];
const repeat = Number(process.argv[2] ?? 16);
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-npu-"));
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const d = npuDescriptor();
const timing = npuTiming(d);

function run(words, object, name, frames, engines, threads) {
  const maps = instantiateMaps(object);
  loadMapsState(maps, readFileSync(`examples/${name}/maps.json`, "utf8"), "maps.json");
  return simulate(words, maps, frames.map((frame) => ({ kind: "xdp", frame, ifindex: 1 })), d, { engines, threads, maxCycles: 1e9 });
}

const fmt = (x, n = 1) => x.toFixed(n);
const rows = [];
const pairRows = [];
const whyRows = [];
try {
  for (const name of EXAMPLES) {
    const src = `examples/${name}/prog.c`;
    const obj = join(dir, `${name}.o`);
    const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", src, "-o", obj], { encoding: "utf8" });
    if (cc.status !== 0) throw new Error(cc.stderr);
    const bytes = readFileSync(obj);
    const object = loadBpf(bytes, obj);
    const files = buildInMemory({ object, file: obj, bytes, target: "npu" });
    const manifest = JSON.parse(Buffer.from(files.find(([p]) => p === "manifest.json")[1]).toString("utf8"));
    const bpf = manifest.resources.bpf_instructions;
    const module = moduleOf(object, 0, "xdp");
    const code = compileForNpu(module, d);
    const pairs = compileForNpu(module, d, { pairs: true });
    const frames = [];
    const packets = readPcap(readFileSync(`examples/${name}/packets.pcap`), "packets.pcap").packets;
    for (let k = 0; k < repeat; k++) for (const p of packets) frames.push(p.data);
    const one = run(code.words, object, name, frames, 1, 1);
    const eight = run(code.words, object, name, frames, 1, 8);
    const all = run(code.words, object, name, frames, timing.engines, 8);
    const pairOne = run(pairs.words, object, name, frames, 1, 1);
    const pairEight = run(pairs.words, object, name, frames, 1, 8);
    for (const r of [eight, all, pairOne, pairEight]) {
      r.results.forEach((x, i) => {
        if (x.r0 !== one.results[i].r0 || Buffer.compare(Buffer.from(x.data), Buffer.from(one.results[i].data)) !== 0) throw new Error(`${name}: packet ${i + 1} differs between runs`);
      });
    }
    const n = frames.length;
    const issued = (r) => r.results.reduce((s, x) => s + x.issued, 0) / n;
    const latency = (r) => r.results.reduce((s, x) => s + x.latency, 0) / n;
    const mpps = (r, engines) => (n / r.stats.cycles) * timing.clock_mhz / 1 * (engines === 1 ? 1 : 1);
    const ord = code.words.filter((w) => w.ord && w.op >= 0x30).length;
    rows.push(`| ${name} | ${n} | ${bpf} | ${code.words.length} | ${fmt(code.words.length / bpf, 2)} | ${fmt(issued(one))} | ${fmt(one.stats.cycles / n)} | ${fmt(eight.stats.cycles / n)} | ${fmt(latency(eight))} | ${fmt(one.stats.utilisation * 100)}% | ${fmt(eight.stats.utilisation * 100)}% | ${fmt(mpps(eight, 1), 2)} | ${fmt(mpps(all, timing.engines), 2)} | ${ord} |`);
    // Where a packet's time goes with 8 threads: held back by packet order, queued at a unit.
    const why = (r) => {
      const q = r.stats.queueWait;
      return `${fmt(r.stats.orderHeld / n)} | ${fmt((q.lookup ?? 0) / n)} | ${fmt((q.map ?? 0) / n)} | ${fmt((q.packet ?? 0) / n)}`;
    };
    whyRows.push(`| ${name} | ${fmt(latency(eight))} | ${why(eight)} | ${fmt(latency(all))} | ${why(all)} |`);
    pairRows.push(`| ${name} | ${code.words.length} | ${pairs.words.length} | ${fmt((1 - code.words.length / pairs.words.length) * 100)}% | ${fmt(issued(one))} | ${fmt(issued(pairOne))} | ${fmt(one.stats.cycles / n)} | ${fmt(pairOne.stats.cycles / n)} | ${fmt(eight.stats.cycles / n)} | ${fmt(pairEight.stats.cycles / n)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`NPU at ${timing.clock_mhz} MHz, ${timing.engines} engines x ${timing.threads} threads; each pcap replayed ${repeat} times`);
console.log("");
console.log("| example | packets | BPF insns | microwords | microwords / BPF insn | microwords issued / packet | cycles / packet, 1 thread | cycles / packet, 8 threads | latency, 8 threads | utilisation, 1 thread | utilisation, 8 threads | Mpps, 1 engine | Mpps, " + timing.engines + " engines | ord commands |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log("");
console.log("| example | microwords | pair-for-everything | saved | issued / packet | pairs: issued / packet | cycles / packet, 1 thread | pairs | cycles / packet, 8 threads | pairs |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of pairRows) console.log(r);
console.log("");
console.log(`Where a packet's latency goes with 8 threads, on 1 engine and on ${timing.engines}: cycles per packet held back by packet order (ord), and waiting in the lookup engine's, map memory's and packet memory's queues`);
console.log("");
console.log(`| example | latency, 1 engine | held by order | lookup queue | map queue | packet queue | latency, ${timing.engines} engines | held by order | lookup queue | map queue | packet queue |`);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of whyRows) console.log(r);
