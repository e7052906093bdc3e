#!/usr/bin/env node
// The C frontend on the examples: static instruction count of bpfoff's object against
// clang -O2's (and instructions executed per packet on the example's pcap, maps carried
// over), and bpfoff's compile time per example (cpp + parse + lowering + passes + codegen,
// median of `runs`), beside clang's wall time for the same file.
// Usage: npm run build && node bench/c-frontend.mjs [runs]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileCToObject } from "../dist/cli/load.js";
import { loadElf } from "../dist/frontends/bpf/elf/load.js";
import { instantiateMaps, runXdp } from "../dist/runtime/interp/run.js";
import { newHostState } from "../dist/runtime/helpers/env.js";
import { loadMapsState } from "../dist/runtime/maps/state.js";
import { readPcap } from "../dist/runtime/packet/pcap.js";

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-c-"));
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (f) => {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
};
/** Static instructions (an lddw counts once) and executed instructions per packet. */
function measure(object, name) {
  const slots = object.programs[0].slots;
  const insns = slots.filter((s, i) => !(i > 0 && slots[i - 1].opcode === 0x18 && s.opcode === 0)).length;
  const maps = instantiateMaps(object);
  loadMapsState(maps, readFileSync(`examples/${name}/maps.json`, "utf8"), "maps.json");
  const host = newHostState();
  const packets = readPcap(readFileSync(`examples/${name}/packets.pcap`), name).packets;
  let steps = 0;
  for (const p of packets) steps += runXdp(object, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }).steps;
  return `${insns} (${(steps / packets.length).toFixed(1)})`;
}

console.log(`| example | clang -O2 | bpfoff | bpfoff / clang | bpfoff compile ms | clang compile ms |`);
console.log(`|---|---|---|---|---|---|`);
for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
  const file = `examples/${name}/prog.c`;
  const source = readFileSync(file, "utf8");
  const obj = join(dir, `${name}.o`);
  const clangTimes = [];
  for (let r = 0; r < runs; r++) {
    const [t, cc] = ms(() => spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", file, "-o", obj], { encoding: "utf8" }));
    if (cc.status !== 0) throw new Error(cc.stderr);
    clangTimes.push(t);
  }
  const theirs = loadElf(readFileSync(obj), obj);
  const times = [];
  let ours;
  for (let r = 0; r < runs; r++) {
    const [t, o] = ms(() => compileCToObject(source, file));
    times.push(t);
    ours = o;
  }
  const a = measure(theirs, name);
  const b = measure(ours, name);
  const ratio = (parseInt(b) / parseInt(a)).toFixed(2);
  console.log(`| ${name} | ${a} | ${b} | ${ratio} | ${median(times).toFixed(0)} | ${median(clangTimes).toFixed(0)} |`);
}
