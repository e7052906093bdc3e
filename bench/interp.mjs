#!/usr/bin/env node
// Reference interpreter speed on the XDP examples: packets and BPF instructions per second.
// Usage: npm run build && node bench/interp.mjs [rounds]
// Compiles each example with clang, then replays its pcap `rounds` times with maps carried
// over, as `bpfoff run --pcap` does. Figures go to docs/PERFORMANCE.md by hand, with this command.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadElf } from "../dist/frontends/bpf/elf/load.js";
import { newHostState } from "../dist/runtime/helpers/env.js";
import { checkHelpers, instantiateMaps, runXdp } from "../dist/runtime/interp/run.js";
import { prepareObject } from "../dist/runtime/interp/interpreter.js";
import { loadMapsState } from "../dist/runtime/maps/state.js";
import { readPcap } from "../dist/runtime/packet/pcap.js";

const rounds = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-"));
const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
console.log(`| example | packets | BPF insns/packet | packets/s | insns/s |`);
console.log(`|---|---|---|---|---|`);
for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
  const obj = join(dir, `${name}.o`);
  const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", `examples/${name}/prog.c`, "-o", obj], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(cc.stderr);
  const object = loadElf(readFileSync(obj), obj);
  checkHelpers(object, "xdp");
  const pcap = readPcap(readFileSync(`examples/${name}/packets.pcap`), name);
  const maps = instantiateMaps(object);
  loadMapsState(maps, readFileSync(`examples/${name}/maps.json`, "utf8"), "maps.json");
  const host = newHostState();
  const prepared = prepareObject(object);
  let steps = 0;
  let packets = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (const p of pcap.packets) {
      steps += runXdp(object, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }, { prepared }).steps;
      packets++;
    }
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  console.log(`| ${name} | ${packets} | ${(steps / packets).toFixed(1)} | ${fmt(packets / s)} | ${fmt(steps / s)} |`);
}
