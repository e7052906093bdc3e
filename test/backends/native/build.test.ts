// Native bundles (bpfoff build --target x86_64|arm64) and native runs through the CLI:
// the five XDP examples give the interpreter's verdicts, packets and maps; the bundle's
// ELF object links into a C program (with runtime/native) and runs; builds are byte for
// byte deterministic.
// requires: clang, gcc (x86_64 on an x86-64 host); aarch64-linux-gnu-gcc, qemu-aarch64 (arm64)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clangBuild, clangMissing, EXAMPLES, exampleSource } from "../bpf/support.js";
import { REPO } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";
import { findBackend } from "../../../backends/registry.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { readPcap } from "../../../runtime/packet/pcap.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../../runtime/maps/state.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { NATIVE_ARCHES, runNative } from "../../../backends/common/native-run.js";

interface Target {
  readonly name: "x86_64" | "arm64";
  readonly ready: boolean;
  readonly cc: string;
  /** How to run a program linked for the target. */
  readonly exec: (exe: string) => [string, string[]];
  readonly objdump: string;
}

const TARGETS: readonly Target[] = [
  {
    name: "x86_64",
    ready: requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed") && requireOrSkip("x86-64 host", arch() === "x64", `the host is ${arch()}`),
    cc: "gcc", exec: (exe) => [exe, []], objdump: "objdump",
  },
  {
    name: "arm64",
    ready: requireOrSkip("aarch64-linux-gnu-gcc", hasTool("aarch64-linux-gnu-gcc"), "apt-get install gcc-aarch64-linux-gnu") && requireOrSkip("qemu-aarch64", hasTool("qemu-aarch64"), "apt-get install qemu-user"),
    cc: "aarch64-linux-gnu-gcc", exec: (exe) => ["qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", exe]], objdump: "aarch64-linux-gnu-objdump",
  },
];
const haveClang = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

/** A raw program with a loop (over at most 8 bytes: the verifier bounds it), an array map update and lookup. */
const LINKED = `
.map totals array key=4 value=8 entries=2
  mov %r6, %r1
  mov %r7, %r2
  jle %r7, 8, bounded
  mov %r7, 8
bounded:
  mov %r0, 0
  mov %r3, 0
loop:
  jge %r3, %r7, done
  mov %r4, %r6
  add %r4, %r3
  ldxb %r4, [%r4+0]
  add %r0, %r4
  add %r3, 1
  ja loop
done:
  mul %r0, 3
  stxdw [%r10-16], %r0
  and %r0, 1
  stxw [%r10-4], %r0
  lddw %r1, map(totals)
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -16
  mov %r4, 0
  call 2
  lddw %r1, map(totals)
  mov %r2, %r10
  add %r2, -4
  call 1
  mov %r1, 7
  jeq %r0, 0, out
  ldxdw %r1, [%r0+0]
out:
  add %r1, 1
  mov %r0, %r1
  exit
`;

const MAIN_C = `#include <stdio.h>
#include <string.h>
#include "prog.h"
int main(void) {
  uint8_t mem[5] = {1, 2, 3, 4, 250};
  struct bpfoff_env *env = bpfoff_env_new(BPFOFF_NMAPS, BPFOFF_MAP_DEFS, 1);
  uint64_t r0 = 0;
  struct bpfoff_fault fault;
  if (bpfoff_run_raw(env, bpfoff_main, mem, sizeof mem, &r0, &fault)) {
    printf("fault at instruction %u\\n", fault.pc);
    return 1;
  }
  printf("0x%llx\\n", (unsigned long long)r0);
  bpfoff_env_free(env);
  return 0;
}
`;

for (const t of TARGETS.filter((x) => findBackend(x.name))) {
  describe.skipIf(!t.ready || !haveClang)(`examples as ${t.name} code (CLI)`, () => {
    const dir = mkdtempSync(join(tmpdir(), `bpfoff-native-ex-${t.name}-`));
    for (const name of EXAMPLES) {
      it(name, async () => {
        const obj = clangBuild(exampleSource(name), dir, name);
        const ex = join(REPO, "examples", name);
        const args = (target: string) => ["run", obj, "--target", target, "--pcap", join(ex, "packets.pcap"), "--maps-in", join(ex, "maps.json"), "--out", `${name}.${target}.pcap`, "--maps-out", `${name}.${target}.json`];
        const interp = await runCli(args("interp"), dir);
        const native = await runCli(args(t.name), dir);
        expect(native).toEqual(interp);
        expect(readFileSync(join(dir, `${name}.${t.name}.pcap`))).toEqual(readFileSync(join(dir, `${name}.interp.pcap`)));
        expect(readFileSync(join(dir, `${name}.${t.name}.json`), "utf8")).toBe(readFileSync(join(dir, `${name}.interp.json`), "utf8"));
        // The bundle builds, deterministically.
        const a = await runCli(["build", obj, "--target", t.name, "-o", `${name}-a`], dir);
        const b = await runCli(["build", obj, "--target", t.name, "-o", `${name}-b`], dir);
        expect(a.stderr + b.stderr).toBe("");
        const files = readdirSync(join(dir, `${name}-a`), { recursive: true }).map(String).sort();
        expect(files).toEqual(expect.arrayContaining(["manifest.json", "prog.bin", "prog.o", "prog.h", "prog.lst", "maps/maps.json"]));
        for (const f of files) if (!f.endsWith("maps")) expect(readFileSync(join(dir, `${name}-b`, f)), f).toEqual(readFileSync(join(dir, `${name}-a`, f)));
        // The bundle's own code (the program as bpfoff compiled it through the IR) gives the
        // interpreter's verdicts, packets and maps too.
        const object = loadElf(readFileSync(obj), obj);
        const frames = readPcap(readFileSync(join(ex, "packets.pcap")), name).packets.map((p) => p.data);
        const withState = () => {
          const maps = instantiateMaps(object);
          loadMapsState(maps, readFileSync(join(ex, "maps.json"), "utf8"), "maps.json");
          return maps;
        };
        const nativeMaps = withState();
        const bundle = runNative(NATIVE_ARCHES[t.name], { code: readFileSync(join(dir, `${name}-a`, "prog.bin")), maps: nativeMaps, xdp: { frames, ifindex: 1 } });
        expect(bundle.fault).toBeUndefined();
        const interpMaps = withState();
        const host = newHostState();
        const want = frames.map((f) => runXdp(object, f, interpMaps, host, { ingressIfindex: 1, rxQueueIndex: 0 }));
        expect(bundle.packets.map((p) => [p.r0, Buffer.from(p.packet).toString("hex")])).toEqual(want.map((w) => [w.r0, Buffer.from(w.packet).toString("hex")]));
        expect(formatMapsState(nativeMaps)).toBe(formatMapsState(interpMaps));
      });
    }
  });

  describe.skipIf(!t.ready)(`the ${t.name} ELF object in a C program`, () => {
    it("links with runtime/native and gives the interpreter's result", async () => {
      const dir = mkdtempSync(join(tmpdir(), `bpfoff-native-link-${t.name}-`));
      writeFileSync(join(dir, "prog.s"), LINKED);
      const build = await runCli(["build", "prog.s", "--type", "raw", "--target", t.name, "-o", "bundle"], dir);
      expect(build.stderr).toBe("");
      const interp = await runCli(["run", "prog.s", "--mem", "01 02 03 04 fa"], dir);
      expect(interp.stdout).toBe("0x30d\n");
      writeFileSync(join(dir, "main.c"), MAIN_C);
      const rt = join(REPO, "runtime/native");
      const cc = spawnSync(t.cc, ["-O2", "-Wall", "-I", join(dir, "bundle"), "-I", rt, "-o", join(dir, "main"), join(dir, "main.c"), join(dir, "bundle/prog.o"), join(rt, "bpfoff_runtime.c")], { encoding: "utf8" });
      expect(cc.stderr).toBe("");
      expect(cc.status).toBe(0);
      const [cmd, pre] = t.exec(join(dir, "main"));
      const run = spawnSync(cmd, [...pre], { encoding: "utf8" });
      expect(run.stdout).toBe(interp.stdout);
      // The object's symbol table and code, as binutils reads them.
      const dump = spawnSync(t.objdump, ["-d", join(dir, "bundle/prog.o")], { encoding: "utf8" });
      expect(dump.stdout).toMatch(/<bpfoff_main>:/);
      expect(dump.stdout).not.toMatch(/\(bad\)|\.inst|undefined/);
    });
  });
}

describe.skipIf(!TARGETS[0]!.ready)("native targets: errors", () => {
  it("refuses what the target cannot run, naming the instruction, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-native-err-"));
    writeFileSync(join(dir, "legacy.s"), ".map pa prog_array key=4 value=4 entries=2\nmov %r6, %r1\nldabsb 3\nmov %r0, 0\nexit\n");
    const run = await runCli(["run", "legacy.s", "--target", "x86_64"], dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("bpfoff: error: instruction 1: target x86_64 does not support ldabsb (instruction group packet)\n");
  });

  it("reports a bad access as the interpreter does (instruction index), exit 1, no stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-native-err-"));
    writeFileSync(join(dir, "oob.s"), "mov %r0, 0\nldxb %r3, [%r1+8]\nexit\n");
    const interp = await runCli(["run", "oob.s", "--mem", "01 02 03"], dir);
    const native = await runCli(["run", "oob.s", "--mem", "01 02 03", "--target", "x86_64"], dir);
    expect(native.code).toBe(1);
    expect(interp.stderr).toMatch(/^bpfoff: error: instruction 1: 1-byte load at address 0x[0-9a-f]+ is outside every memory region\n/);
    expect(native.stderr).toMatch(/^bpfoff: error: instruction 1: 1-byte load at address 0x[0-9a-f]+ is outside every memory region\n  note: in x86_64 code\n$/);
  });
});
