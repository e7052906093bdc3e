// Tail calls (bpf_tail_call through a prog_array), bpf_redirect_map (devmaps) and TCAM
// maps on the native targets, through
// x86_64Backend/arm64Backend runRaw/runXdp, against the reference interpreter's
// runRaw/runXdp on the same objects (several programs, the prog_array naming them by
// index): r0, the frames, faults with the interpreter's code at its instruction, as
// test/backends/fpga/tailcall.test.ts does for the FPGA engine.
// requires: gcc and an x86-64 host (x86_64); aarch64-linux-gnu-gcc, qemu-aarch64 (arm64)
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arm64Backend } from "../../../backends/arm64/backend.js";
import type { Backend } from "../../../backends/common/backend.js";
import { x86_64Backend } from "../../../backends/x86_64/backend.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { isTcam, u32leBytes } from "../../../runtime/maps/map.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { REPO } from "../../support/conformance.js";
import { runCli } from "../../support/cli.js";

const TARGETS: readonly (readonly [Backend, boolean])[] = [
  [x86_64Backend, requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed") && requireOrSkip("x86-64 host", arch() === "x64", `the host is ${arch()}`)],
  [arm64Backend, requireOrSkip("aarch64-linux-gnu-gcc", hasTool("aarch64-linux-gnu-gcc"), "apt-get install gcc-aarch64-linux-gnu") && requireOrSkip("qemu-aarch64", hasTool("qemu-aarch64"), "apt-get install qemu-user")],
];

const MAPS = ".map jmp prog_array key=4 value=4 entries=4\n.map arr array key=4 value=8 entries=2\n";

/** One object from several assembler programs sharing the maps above (program i = texts[i]). */
function objectOf(texts: readonly string[], maps = MAPS): BpfObject {
  const parts = texts.map((t, i) => assemble(maps + t, `p${i}.s`));
  return { ...parts[0]!, programs: parts.map((p, i) => ({ ...p.programs[0]!, name: `p${i}` })) };
}

/** Entries by map index: key -> u32 value; or TCAM rows [value, mask, priority, data] (u16 value and mask, u64 data). */
type Tables = Readonly<Record<number, Readonly<Record<number, number>> | readonly (readonly [number, number, number, bigint])[]>>;

function mapsFor(object: BpfObject, t: Tables): BpfMap[] {
  const maps = instantiateMaps(object);
  const u16 = (v: number) => Uint8Array.of(v & 255, (v >> 8) & 255);
  const u64 = (v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return b;
  };
  for (const [m, entries] of Object.entries(t)) {
    const map = maps[Number(m)]!;
    if (Array.isArray(entries)) {
      if (!isTcam(map)) throw new Error("not a tcam");
      for (const [value, mask, priority, data] of entries as readonly (readonly [number, number, number, bigint])[]) expect(map.insert(u16(value), u16(mask), priority, u64(data))).toBe(0);
    } else for (const [k, v] of Object.entries(entries)) expect(map.update(u32leBytes(Number(k)), u32leBytes(v as number), 0)).toBe(0);
  }
  return maps;
}

type Outcome = { kind: "done"; r0: string; packets?: string[]; maps: string } | { kind: "error"; insn: number | undefined; code: string };

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const mapsText = (maps: readonly BpfMap[]): string => maps.map((m) => [...m.entries()].map((e) => `${hex(e.key)}${e.mask ? `/${hex(e.mask)}@${e.priority}` : ""}=${hex(e.value)}`).join(" ")).join(" | ");

function catching(fn: () => Outcome): Outcome {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", insn: d.loc.insn, code: d.code };
  }
}

function compareRaw(backend: Backend, texts: readonly string[], t: Tables, entry = 0, maps = MAPS): Outcome {
  const object = objectOf(texts, maps);
  const ref = catching(() => {
    const m = mapsFor(object, t);
    return { kind: "done", r0: "0x" + runRaw(object, undefined, { maps: m, program: entry }).r0.toString(16), maps: mapsText(m) };
  });
  const got = catching(() => {
    const m = mapsFor(object, t);
    return { kind: "done", r0: "0x" + backend.runRaw!({ object, program: entry, maxSteps: 100_000, maps: m }).r0.toString(16), maps: mapsText(m) };
  });
  expect(got).toEqual(ref);
  return ref;
}

const FRAMES = [Uint8Array.from({ length: 60 }, (_, i) => i * 3), Uint8Array.from({ length: 14 }, (_, i) => 200 - i), Uint8Array.from({ length: 100 }, (_, i) => i ^ 0x5a)];

function compareXdp(backend: Backend, texts: readonly string[], t: Tables, entry = 0, maps = MAPS): Outcome {
  const object = objectOf(texts, maps);
  const line = (r0: bigint, packet: Uint8Array, redirect: number | undefined) => `${r0.toString(16)} ${hex(packet)}${redirect !== undefined ? ` to ${redirect}` : ""}`;
  const ref = catching(() => {
    const m = mapsFor(object, t);
    const host = newHostState();
    const rs = FRAMES.map((f) => runXdp(object, f, m, host, { ingressIfindex: 1, rxQueueIndex: 0 }, { program: entry }));
    return { kind: "done", r0: "", packets: rs.map((r) => line(r.r0, r.packet, r.redirect?.ifindex)), maps: mapsText(m) };
  });
  const got = catching(() => {
    const m = mapsFor(object, t);
    const r = backend.runXdp!({ object, program: entry, frames: FRAMES, ifindex: 1, maxSteps: 100_000, maps: m });
    return { kind: "done", r0: "", packets: r.packets.map((p) => line(p.r0, p.packet, p.redirect?.ifindex)), maps: mapsText(m) };
  });
  expect(got).toEqual(ref);
  return ref;
}

const TAIL = (index: number | string) => `lddw %r2, map(jmp)\nmov %r3, ${index}\ncall 12`;

for (const [backend, ready] of TARGETS) {
  describe.skipIf(!ready)(`bpf_tail_call on ${backend.name} matches the interpreter`, () => {
    it("jumps to the program the prog_array names; r0 of the target", () => {
      expect(compareRaw(backend, [`${TAIL(1)}\nmov %r0, 7\nexit`, "mov %r0, 42\nexit"], { 0: { 1: 1 } })).toMatchObject({ kind: "done", r0: "0x2a" });
    });
    it("a missing entry, an index past max_entries or past 32 bits, or a map of another kind fall through with the error", () => {
      const tail = (idx: string) => `lddw %r2, map(jmp)\n${idx}\ncall 12\nadd %r0, 1000\nexit`;
      expect(compareRaw(backend, [tail("mov %r3, 2"), "mov %r0, 42\nexit"], { 0: { 1: 1 } })).toMatchObject({ kind: "done", r0: "0x" + BigInt.asUintN(64, 998n).toString(16) });
      compareRaw(backend, [tail("mov %r3, 4"), "mov %r0, 42\nexit"], { 0: { 1: 1 } });
      compareRaw(backend, [tail("lddw %r3, 0x100000001"), "mov %r0, 42\nexit"], { 0: { 1: 1 } });
      expect(compareRaw(backend, ["lddw %r2, map(arr)\nmov %r3, 0\ncall 12\nexit", "mov %r0, 42\nexit"], { 0: { 0: 1 } })).toMatchObject({ kind: "done", r0: "0x" + BigInt.asUintN(64, -22n).toString(16) });
    });
    it("r1-r5 survive a fall-through; a non-map faults at the call", () => {
      compareRaw(backend, ["mov %r1, 3\nmov %r4, 9\nmov %r5, 11\nlddw %r2, map(jmp)\nmov %r3, 3\ncall 12\nadd %r0, %r1\nadd %r0, %r4\nadd %r0, %r5\nadd %r0, %r3\nexit"], {});
      expect(compareRaw(backend, ["mov %r2, 0\nmov %r3, 0\ncall 12\nexit"], {})).toMatchObject({ kind: "error", insn: 2 });
    });
    it("registers and the stack frame carry over; a tail call from a subprogram drops the frames", () => {
      compareRaw(backend, [
        `mov %r6, 5\nstdw [%r10-8], 99\ncall local f\nmov %r0, 1\nexit\nf:\nmov %r7, 11\nstdw [%r10-16], 3\n${TAIL(3)}\nmov %r0, 2\nexit`,
        "mov %r0, 1\nexit",
        "mov %r0, 2\nexit",
        "ldxdw %r0, [%r10-8]\nadd %r0, %r6\nmul %r0, %r7\ncall local g\nexit\ng:\nldxdw %r1, [%r10-16]\nadd %r0, %r1\nexit",
      ], { 0: { 3: 3 } });
    });
    it("a program that tail-calls itself stops at 33 tail calls and falls through with -ENOENT", () => {
      const self = `add %r6, 1\n${TAIL(0)}\nlsh %r0, 8\nadd %r0, %r6\nexit`;
      expect(compareRaw(backend, [self], { 0: { 0: 0 } })).toMatchObject({ kind: "done", r0: "0x" + BigInt.asUintN(64, (-2n << 8n) + 34n).toString(16) });
    });
    it("the limit counts a whole run, from a subprogram too; every XDP packet starts again", () => {
      const self = `call local f\nexit\nf:\nadd %r6, 1\n${TAIL(0)}\nmov %r0, %r6\nexit`;
      compareRaw(backend, [self], { 0: { 0: 0 } });
      compareXdp(backend, [`add %r6, 1\n${TAIL(0)}\nmov %r0, %r6\nand %r0, 3\nexit`], { 0: { 0: 0 } });
    });
    it("a chain through every program, the entry not program 0", () => {
      compareRaw(backend, [
        `mul %r6, 3\nadd %r6, 1\n${TAIL(1)}\nmov %r0, 100\nexit`,
        `mul %r6, 5\nadd %r6, 2\n${TAIL(2)}\nmov %r0, 101\nexit`,
        `mul %r6, 7\nadd %r6, 3\nmov %r0, %r6\nexit`,
        `mov %r6, 1\n${TAIL(3)}\nmov %r0, 103\nexit`,
      ], { 0: { 3: 0, 1: 1, 2: 2 } }, 3);
    });
    it("faults in the target program at the interpreter's instruction (counted from that program's start)", () => {
      expect(compareRaw(backend, [`${TAIL(1)}\nexit`, "mov %r0, 0\nmov %r1, 0\nldxb %r0, [%r1+0]\nexit"], { 0: { 1: 1 } })).toMatchObject({ kind: "error", insn: 2 });
      expect(compareRaw(backend, [`${TAIL(1)}\nexit`, "mov %r0, 0\nstdw [%r10+8], 1\nexit"], { 0: { 1: 1 } })).toMatchObject({ kind: "error", insn: 1, code: "run-mem" });
    });
    it("a prog_array naming a program the object lacks: the interpreter's run-tail-call", () => {
      expect(compareRaw(backend, [`${TAIL(1)}\nexit`, "mov %r0, 42\nexit"], { 0: { 1: 5 } })).toMatchObject({ kind: "error", code: "run-tail-call" });
    });
    it("XDP: the target sees the context and the packet; verdicts and frames per packet", () => {
      compareXdp(backend, [
        `mov %r6, %r1\nldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r7, [%r2+0]\nand %r7, 1\nmov %r1, %r6\nlddw %r2, map(jmp)\nmov %r3, %r7\ncall 12\nout:\nmov %r0, 2\nexit`,
        "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, drop\nstb [%r2+0], 0xee\nmov %r0, 3\nexit\ndrop:\nmov %r0, 1\nexit",
        "mov %r2, 4\ncall 44\nmov %r0, 2\nexit",
      ], { 0: { 0: 1, 1: 2 } });
    });

    it("random tail-call graphs (fast-check): every program mixes r6 and the stack, then tail-calls by a computed index", () => {
      const program = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom("and", "mod"), fc.boolean()).map(([mul, add, how, sub]) => {
        const body = `mul %r6, ${mul}\nadd %r6, ${add}\nldxdw %r7, [%r10-8]\nadd %r7, %r6\nstxdw [%r10-8], %r7\nmov %r3, %r6\n${how === "and" ? "and %r3, 7" : "mod %r3, 5"}\nlddw %r2, map(jmp)\ncall 12\nmov %r0, %r7\nexit`;
        // half of them tail-call from a subprogram
        return sub ? `call local s\nadd %r0, 1\nexit\ns:\n${body}` : body;
      });
      const graph = fc.record({
        programs: fc.array(program, { minLength: 1, maxLength: 5 }),
        entries: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })), { maxLength: 4 }),
      });
      for (const g of fc.sample(graph, { numRuns: 25, seed: 12 })) {
        const programs = g.programs.map((p, i) => (i === 0 ? `stdw [%r10-8], 0\nmov %r6, 1\n${p}` : p));
        const jmp = Object.fromEntries(g.entries.map(([k, v]) => [k, v]));
        compareRaw(backend, programs, { 0: jmp });
      }
    });
  });
}

/** A C program around a tail-call bundle: the prog_array filled, the program table set from the header. */
const MAIN_C = `#include <stdio.h>
#include "prog.h"
int main(void) {
  struct bpfoff_env *env = bpfoff_env_new(BPFOFF_NMAPS, BPFOFF_MAP_DEFS, 1);
  uint64_t entries[BPFOFF_NPROGS], r0 = 0;
  for (int i = 0; i < BPFOFF_NPROGS; i++) entries[i] = (uint64_t)(uintptr_t)bpfoff_p0 + BPFOFF_TAIL_ENTRIES[i];
  bpfoff_env_programs(env, BPFOFF_NPROGS, entries);
  uint32_t key = 1, prog = 2;
  bpfoff_map_update(env, BPFOFF_MAP_JMP, &key, &prog, 0);
  uint8_t mem[3] = {5, 6, 7};
  struct bpfoff_fault fault;
  if (bpfoff_run_raw(env, bpfoff_p0, mem, sizeof mem, &r0, &fault)) return printf("fault at %u\\n", fault.pc), 1;
  printf("0x%llx\\n", (unsigned long long)r0);
  bpfoff_env_free(env);
  return 0;
}
`;

const LINK_TARGETS = [
  { backend: x86_64Backend, ready: TARGETS[0]![1], cc: "gcc", exec: (exe: string): [string, string[]] => [exe, []] },
  { backend: arm64Backend, ready: TARGETS[1]![1], cc: "aarch64-linux-gnu-gcc", exec: (exe: string): [string, string[]] => ["qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", exe]] },
];

for (const t of LINK_TARGETS) {
  describe.skipIf(!t.ready)(`a ${t.backend.name} tail-call bundle in a C program`, () => {
    it("every program in prog.o, their entries in prog.h: links with runtime/native and gives the interpreter's r0", () => {
      const texts = [`ldxb %r6, [%r1+2]\n${TAIL(1)}\nmov %r0, 1\nexit`, "mov %r0, 99\nexit", "ldxb %r0, [%r1+1]\nmul %r0, %r6\nexit"];
      const object = objectOf(texts);
      const want = runRaw(object, Uint8Array.of(5, 6, 7), { maps: mapsFor(object, { 0: { 1: 2 } }) }).r0;
      expect(want).toBe(42n);
      const out = t.backend.compile!({ object, module: undefined as never, program: 0, programType: "raw", source: { name: "tail.s", sha256: "" } });
      const dir = mkdtempSync(join(tmpdir(), `bpfoff-native-tail-${t.backend.name}-`));
      for (const [path, data] of out.files) writeFileSync(join(dir, path), data);
      expect(out.manifest["resources"]).toMatchObject({ tail_call_entries: [{ program: "p0" }, { program: "p1" }, { program: "p2" }] });
      // The listing covers every program of the blob: each tail-call target has its own
      // section, its BPF slots as headings, and no byte is left undecoded but the padding.
      const lst = String(out.files.find(([path]) => path === "prog.lst")![1]);
      expect(lst).toContain("; program p1 (a tail-call target): prologue\n");
      expect(lst).toContain("; program p2 (a tail-call target): prologue\n");
      expect(lst).toContain("; 1: mul %r0, %r6\n");
      expect(lst.split("\n").filter((l) => l.includes(".byte") && !/\.byte 0xcc|\.byte 0x00, 0x00, 0x00, 0x00/.test(l))).toEqual([]);
      writeFileSync(join(dir, "main.c"), MAIN_C);
      const rt = join(REPO, "runtime/native");
      const cc = spawnSync(t.cc, ["-O2", "-Wall", "-I", dir, "-I", rt, "-o", join(dir, "main"), join(dir, "main.c"), join(dir, "prog.o"), join(rt, "bpfoff_runtime.c")], { encoding: "utf8" });
      expect(cc.stderr).toBe("");
      const [cmd, pre] = t.exec(join(dir, "main"));
      expect(spawnSync(cmd, pre, { encoding: "utf8" }).stdout).toBe(`0x${want.toString(16)}\n`);
    });
  });
}

const DEV_MAPS = ".map dev devmap key=4 value=4 entries=4\n.map arr array key=4 value=8 entries=2\n.map dev8 devmap key=4 value=8 entries=2\n";

for (const [backend, ready] of TARGETS) {
  describe.skipIf(!ready)(`bpf_redirect_map on ${backend.name} matches the interpreter`, () => {
    const redirect = (key: string, flags: number) => `mov %r6, %r1\nlddw %r1, map(dev)\n${key}\nmov %r3, ${flags}\ncall 51\nexit`;
    it("a set slot redirects (XDP_REDIRECT, its ifindex); an empty or out-of-range one returns the flags' low bits", () => {
      for (const [key, flags] of [["mov %r2, 1", 0], ["mov %r2, 0", 2], ["mov %r2, 3", 6], ["mov %r2, 4", 1], ["mov %r2, -1", 3], ["lddw %r2, 0x100000001", 0]] as const) {
        compareXdp(backend, [redirect(key, flags)], { 0: { 1: 7, 2: 9 } }, 0, DEV_MAPS);
      }
      expect(compareXdp(backend, [redirect("mov %r2, 2", 0)], { 0: { 1: 7, 2: 9 } }, 0, DEV_MAPS)).toMatchObject({ packets: [expect.stringMatching(/ to 9$/), expect.stringMatching(/ to 9$/), expect.stringMatching(/ to 9$/)] });
    });
    it("the key from the packet; a later failing call keeps the earlier target; 8-byte devmap values", () => {
      compareXdp(backend, [[
        "ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]", "mov %r4, %r2", "add %r4, 1", "mov %r0, 2", "jgt %r4, %r3, out",
        "ldxb %r2, [%r2+0]", "and %r2, 3", "lddw %r1, map(dev)", "mov %r3, 1", "call 51", "mov %r7, %r0",
        "mov %r2, 2", "lddw %r1, map(dev)", "mov %r3, 0", "call 51", "mov %r0, %r7", "out:", "exit",
      ].join("\n")], { 0: { 0: 4, 1: 5, 3: 6 } }, 0, DEV_MAPS);
      compareXdp(backend, ["lddw %r1, map(dev8)\nmov %r2, 1\nmov %r3, 0\ncall 51\nexit"], {}, 0, DEV_MAPS);
    });
    it("the map must be a devmap: an array returns the flags; a non-map faults as the interpreter does", () => {
      compareXdp(backend, ["lddw %r1, map(arr)\nmov %r2, 0\nmov %r3, 2\ncall 51\nexit"], {}, 0, DEV_MAPS);
      expect(compareXdp(backend, ["mov %r1, 0\nmov %r2, 0\nmov %r3, 2\ncall 51\nexit"], {}, 0, DEV_MAPS)).toMatchObject({ kind: "error", insn: 3 });
    });
    it("a tail call into a program that redirects", () => {
      compareXdp(backend, [`${TAIL(0)}\nmov %r0, 1\nexit`, redirect("mov %r2, 2", 0)], { 0: { 0: 1 }, 2: { 2: 33 } }, 0, MAPS + ".map dev devmap key=4 value=4 entries=4\n");
    });
    it("random devmaps, keys and flags (fast-check), one to three calls a run", () => {
      const call = fc.tuple(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 0x7fffffff, -0x80000000)), fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(-1, 0x100)));
      const run = fc.record({
        dev: fc.dictionary(fc.constantFrom("0", "1", "2", "3"), fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(0xffffffff))),
        calls: fc.array(call, { minLength: 1, maxLength: 3 }),
      });
      for (const r of fc.sample(run, { numRuns: 20, seed: 51 })) {
        // every result folded into the frame's first 8 bytes; the verdict is the last call's
        const text = ["mov %r9, %r1", "mov %r6, 0", ...r.calls.map(([key, flags]) => `lddw %r1, map(dev)\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nlsh %r6, 8\nadd %r6, %r0`),
          "ldxw %r2, [%r9+0]", "ldxw %r3, [%r9+4]", "mov %r4, %r2", "add %r4, 8", "jgt %r4, %r3, out", "stxdw [%r2+0], %r6", "out:", "exit"].join("\n");
        compareXdp(backend, [text], { 0: Object.fromEntries(Object.entries(r.dev).map(([k, v]) => [Number(k), v])) }, 0, DEV_MAPS);
      }
    });
    it("the map back: entries by index, as the interpreter lists them", () => {
      compareXdp(backend, ["mov %r0, 2\nexit"], { 0: { 3: 1, 0: 2, 2: 5 } }, 0, DEV_MAPS);
    });
  });
}

for (const [backend, ready] of TARGETS) {
  describe.skipIf(!ready)(`bpf_redirect_map through the CLI on ${backend.name}`, () => {
    it("the interpreter's lines (', to ifindex N'), output pcap and maps", async () => {
      const dir = mkdtempSync(join(tmpdir(), `bpfoff-native-redirect-${backend.name}-`));
      writeFileSync(join(dir, "redir.s"), [
        ".map dev devmap key=4 value=4 entries=4", "ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]", "mov %r4, %r2", "add %r4, 1", "mov %r0, 2", "jgt %r4, %r3, out",
        "ldxb %r2, [%r2+0]", "and %r2, 3", "lddw %r1, map(dev)", "mov %r3, 2", "call 51", "out:", "exit", "",
      ].join("\n"));
      const u32 = (v: number) => [0, 8, 16, 24].map((s) => `0x${((v >>> s) & 255).toString(16).padStart(2, "0")}`);
      writeFileSync(join(dir, "maps.json"), JSON.stringify({ dev: [[0, 12], [2, 7]].map(([k, v]) => ({ key: u32(k!), value: u32(v!) })) }));
      const args = (target: string) => ["run", "redir.s", "--pcap", join(REPO, "examples/router/packets.pcap"), "--maps-in", "maps.json", "--target", target, "--out", `${target}.pcap`, "--maps-out", `${target}.json`];
      const interp = await runCli(args("interp"), dir);
      const native = await runCli(args(backend.name), dir);
      expect(interp.stdout).toMatch(/r0=0x4, to ifindex (12|7), XDP_REDIRECT\n/);
      expect(native).toEqual(interp);
      for (const f of ["pcap", "json"]) expect(readFileSync(join(dir, `${backend.name}.${f}`))).toEqual(readFileSync(join(dir, `interp.${f}`)));
    });
  });
}

const TCAM_MAPS = ".map t tcam key=2 value=8 entries=8\n.map ro tcam key=2 value=8 entries=2 flags=0x80\n";

/** Looks up each key in map t; r0 folds the data found (or 0xee for a miss) and the data of the last hit is incremented. */
const tcamLookups = (keys: readonly number[]) => [
  "mov %r6, 0",
  ...keys.map((k) => `sth [%r10-2], ${k}\nlddw %r1, map(t)\nmov %r2, %r10\nadd %r2, -2\ncall 1\nmov %r7, 0xee\njeq %r0, 0, +3\nldxdw %r7, [%r0+0]\nadd %r7, 1\nstxdw [%r0+0], %r7\nmul %r6, 31\nadd %r6, %r7`),
  "mov %r0, %r6",
  "exit",
].join("\n");

for (const [backend, ready] of TARGETS) {
  describe.skipIf(!ready)(`TCAM maps on ${backend.name} match the interpreter`, () => {
    it("the highest priority wins; equal priorities go to the earlier insertion; no match is NULL", () => {
      const rows = [[0x0010, 0x00f0, 1, 100n], [0x0012, 0x00ff, 5, 200n], [0x0000, 0x0000, 0, 300n], [0x0002, 0x000f, 5, 400n], [0x1200, 0xff00, 5, 500n]] as const;
      compareRaw(backend, [tcamLookups([0x12, 0x13, 0x02, 0x1202, 0x99, 0x1212])], { 0: rows }, 0, TCAM_MAPS);
      compareRaw(backend, [tcamLookups([0x12, 0x13, 0x99])], { 0: rows.slice(0, 2) }, 0, TCAM_MAPS);
      compareXdp(backend, [`${tcamLookups([0x12, 0x1200])}`.replace("mov %r0, %r6\nexit", "mov %r0, %r6\nand %r0, 3\nexit")], { 0: rows }, 0, TCAM_MAPS);
    });
    it("programs only read a TCAM: update and delete give -EOPNOTSUPP; a read-only TCAM's data faults on a store", () => {
      compareRaw(backend, ["sth [%r10-2], 1\nstdw [%r10-16], 5\nlddw %r1, map(t)\nmov %r2, %r10\nadd %r2, -2\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\nmov %r6, %r0\nlddw %r1, map(t)\nmov %r2, %r10\nadd %r2, -2\ncall 3\nadd %r0, %r6\nexit"], { 0: [[1, 0xffff, 1, 7n]] }, 0, TCAM_MAPS);
      expect(compareRaw(backend, ["sth [%r10-2], 1\nlddw %r1, map(ro)\nmov %r2, %r10\nadd %r2, -2\ncall 1\njeq %r0, 0, +1\nstdw [%r0+0], 1\nmov %r0, 0\nexit"], { 1: [[0, 0, 0, 1n]] }, 0, TCAM_MAPS)).toMatchObject({ kind: "error", insn: 7 });
      expect(compareRaw(backend, ["sth [%r10-2], 1\nlddw %r1, map(t)\nmov %r2, %r10\nadd %r2, -2\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0+8]\nexit"], { 0: [[0, 0, 0, 1n]] }, 0, TCAM_MAPS)).toMatchObject({ kind: "error", insn: 7 });
    });
    it("random TCAM tables and keys (fast-check): the data found, the data written back, the table read back in match order", () => {
      const row = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 0xff, 0xff00, 0xffff, 0xf0f0, 0x0f0f, 0x8001), fc.integer({ min: 0, max: 3 }), fc.bigInt({ min: 0n, max: 1000n }));
      const run = fc.record({ rows: fc.uniqueArray(row, { maxLength: 8, selector: ([v, m, p]) => `${v & m}/${m}/${p}` }), keys: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 6 }) });
      for (const r of fc.sample(run, { numRuns: 25, seed: 31 })) {
        // some keys equal to a row's value, so that lookups hit
        const keys = r.keys.map((k, i) => (i % 2 && r.rows.length ? r.rows[k % r.rows.length]![0] : k));
        compareRaw(backend, [tcamLookups(keys)], { 0: r.rows }, 0, TCAM_MAPS);
      }
    });
  });
}

for (const [backend, ready] of TARGETS) {
  describe.skipIf(!ready)(`TCAM maps through the CLI on ${backend.name}`, () => {
    it("--maps-in and --maps-out with value, mask and priority: the interpreter's output and maps", async () => {
      const dir = mkdtempSync(join(tmpdir(), `bpfoff-native-tcam-${backend.name}-`));
      writeFileSync(join(dir, "tcam.s"), `${TCAM_MAPS}${tcamLookups([0x0102, 0x0304, 0x0105, 0xffff])}\n`);
      const b = (...xs: number[]) => xs.map((x) => `0x${x.toString(16).padStart(2, "0")}`);
      writeFileSync(join(dir, "maps.json"), JSON.stringify({ t: [
        { key: b(0x02, 0x01), mask: b(0xff, 0xff), priority: 2, value: b(1, 0, 0, 0, 0, 0, 0, 0) },
        { key: b(0x00, 0x01), mask: b(0x00, 0xff), priority: 1, value: b(2, 0, 0, 0, 0, 0, 0, 0) },
        { key: b(0x04, 0x00), mask: b(0x0f, 0x00), priority: 1, value: b(3, 0, 0, 0, 0, 0, 0, 0) },
      ] }));
      const args = (target: string) => ["run", "tcam.s", "--mem", "00", "--maps-in", "maps.json", "--target", target, "--maps-out", `${target}.json`];
      const interp = await runCli(args("interp"), dir);
      const native = await runCli(args(backend.name), dir);
      expect(interp.stderr).toBe("");
      expect(native).toEqual(interp);
      expect(readFileSync(join(dir, `${backend.name}.json`), "utf8")).toBe(readFileSync(join(dir, "interp.json"), "utf8"));
      expect(readFileSync(join(dir, "interp.json"), "utf8")).toMatch(/"priority": 2/);
    });
  });
}
