#!/usr/bin/env node
// Packets per second of each XDP example: the reference interpreter, bpfoff's x86-64 code,
// the same C compiled natively by gcc -O2 (the ceiling), and bpfoff's arm64 code under
// qemu-aarch64 (emulated: a check that it runs, not a hardware figure).
// Usage: npm run build && node bench/native.mjs [rounds]
// Each example is compiled by clang -O2 -target bpf and built through bpfoff's pipeline
// (verifier, IR, optimisation, code generation: the bundle's prog.bin); its pcap is
// replayed `rounds` times with the example's maps (maps.json) carried over, inside one
// runner process (runtime/native), timed around the runs alone. The gcc -O2 figure runs
// examples/NAME/prog.c compiled for the host (bench/native/host_shim.h) in the same
// runner with the same runtime, maps and frames. Figures go to docs/PERFORMANCE.md by hand.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadElf } from "../dist/frontends/bpf/elf/load.js";
import { newHostState } from "../dist/runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../dist/runtime/interp/run.js";
import { prepareObject } from "../dist/runtime/interp/interpreter.js";
import { loadMapsState } from "../dist/runtime/maps/state.js";
import { readPcap } from "../dist/runtime/packet/pcap.js";
import { buildInMemory } from "../dist/backends/common/pipeline.js";
import { NATIVE_ARCHES, runNative, runtimeDir } from "../dist/backends/common/native-run.js";

const rounds = Number(process.argv[2] ?? 20000);
const interpRounds = Math.max(1, Math.round(rounds / 100));
/**
 * Each native figure is the best of this many timed runs, bpfoff's and gcc's alternating:
 * the machine is shared, the best run is the least disturbed, and alternating gives both
 * the same disturbances.
 */
const TRIES = 7;
const qemuRounds = Math.max(1, Math.round(rounds / 10));
const dir = mkdtempSync(join(tmpdir(), "bpfoff-bench-native-"));
const triple = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
const fmt = (n) => Math.round(n).toLocaleString("en-US");

function freshMaps(object, name) {
  const maps = instantiateMaps(object);
  loadMapsState(maps, readFileSync(`examples/${name}/maps.json`, "utf8"), "maps.json");
  return maps;
}

function interpPps(object, name, frames) {
  const maps = freshMaps(object, name);
  const host = newHostState();
  const prepared = prepareObject(object);
  for (const f of frames) runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }, { prepared }); // warm-up (V8 compiles the loop)
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < interpRounds; r++) for (const f of frames) runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }, { prepared });
  return (interpRounds * frames.length) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Packets per second of one timed run. */
function nativeRun(arch, code, object, name, frames, repeat, runner) {
  const r = runNative(NATIVE_ARCHES[arch], { code, maps: freshMaps(object, name), xdp: { frames, ifindex: 1 }, repeat, runner });
  if (r.fault) throw new Error(`${name} on ${arch}: fault kind ${r.fault.kind} at instruction ${r.fault.pc}, address 0x${r.fault.addr.toString(16)}, packet ${r.fault.frame + 1}`);
  return (repeat * frames.length) / (Number(r.nanoseconds) / 1e9);
}

/** The best of TRIES runs of each of several configurations, run in turn. */
function bestOf(runs) {
  const best = runs.map(() => 0);
  for (let t = 0; t < TRIES; t++) runs.forEach((run, i) => (best[i] = Math.max(best[i], run())));
  return best;
}

/** The runner with examples/NAME/prog.c compiled by gcc -O2 and linked in. */
function gccRunner(object, name) {
  const entry = object.programs[0].name;
  const maps = object.maps.map((m) => m.name);
  const harness = join(dir, `${name}-host.c`);
  writeFileSync(harness, [
    `#include "host_shim.h"`,
    `#include "${resolve("examples", name, "prog.c")}"`,
    `void *const bpfoff_shim_maps[] = { ${maps.map((m) => `(void *)&${m}`).join(", ") || "0"} };`,
    `const unsigned bpfoff_shim_nmaps = ${maps.length};`,
    `struct bpfoff_rt *bpfoff_shim_rt;`,
    // Keys and values the C program passes helpers live on the host stack: the runtime's
    // checks take this frame's neighbourhood as the stack region.
    `uint64_t bpfoff_linked_prog(void *ctx, uint64_t len, struct bpfoff_rt *rt) {`,
    `  char here; (void)len; bpfoff_shim_rt = rt;`,
    `  rt->stack_lo = (uint64_t)(uintptr_t)&here - 65536; rt->stack_hi = (uint64_t)(uintptr_t)&here + 4096;`,
    `  return (uint32_t)${entry}(ctx);`,
    `}`,
    "",
  ].join("\n"));
  const exe = join(dir, `${name}-host-run`);
  const rt = runtimeDir();
  const cc = spawnSync("gcc", ["-O2", "-w", "-DBPFOFF_LINKED_PROG", "-I", rt, "-I", resolve("bench/native"), "-o", exe, join(rt, "bpfoff_runner.c"), join(rt, "bpfoff_runtime.c"), harness], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(cc.stderr);
  return exe;
}

console.log(`| example | packets x rounds | interpreter pkt/s | x86_64 pkt/s | gcc -O2 C pkt/s | x86_64 / gcc | x86_64 / interpreter | arm64 (qemu) pkt/s | x86_64 code bytes |`);
console.log(`|---|---|---|---|---|---|---|---|---|`);
for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
  const obj = join(dir, `${name}.o`);
  const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${triple}`, "-c", `examples/${name}/prog.c`, "-o", obj], { encoding: "utf8" });
  if (cc.status !== 0) throw new Error(cc.stderr);
  const bytes = readFileSync(obj);
  const object = loadElf(bytes, obj);
  const frames = readPcap(readFileSync(`examples/${name}/packets.pcap`), name).packets.map((p) => p.data);
  const code = (target) => buildInMemory({ object, file: `${name}.o`, bytes, target }).find(([p]) => p === "prog.bin")[1];
  const x64 = code("x86_64");
  const interp = interpPps(object, name, frames);
  const host = gccRunner(object, name);
  const [native, gcc] = bestOf([() => nativeRun("x86_64", x64, object, name, frames, rounds), () => nativeRun("x86_64", x64, object, name, frames, rounds, host)]);
  const [arm] = bestOf([() => nativeRun("arm64", code("arm64"), object, name, frames, qemuRounds)]);
  console.log(`| ${name} | ${frames.length} x ${rounds} | ${fmt(interp)} | ${fmt(native)} | ${fmt(gcc)} | ${(native / gcc).toFixed(2)} | ${fmt(native / interp)}x | ${fmt(arm)} | ${x64.length} |`);
}
