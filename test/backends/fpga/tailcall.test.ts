// Tail calls (bpf_tail_call through a prog_array) and bpf_redirect_map (through a devmap)
// on the Verilog BPF engine, through fpgaBackend.runRaw/runXdp, against the reference
// interpreter's runRaw/runXdp on the same objects (several programs, the prog_array naming
// them by index), packets and maps: r0, the frames, the redirect target, faults at the
// interpreter's instruction. requires: verilator
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { romLayout, slotHandleProblems } from "../../../backends/fpga/programs.js";
import { buildEngineModel, ENGINE_ERRORS } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import { writePcap } from "../../../runtime/packet/pcap.js";
import { clangBuild, clangMissing } from "../bpf/support.js";
import { runCli } from "../../support/cli.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

const MAPS = ".map jmp prog_array key=4 value=4 entries=4\n.map arr array key=4 value=8 entries=2\n.map dev devmap key=4 value=4 entries=4\n";

/** One object from several assembler programs sharing the maps above (program i = texts[i]). */
function objectOf(texts: readonly string[]): BpfObject {
  const parts = texts.map((t, i) => assemble(MAPS + t, `p${i}.s`));
  return { ...parts[0]!, programs: parts.map((p, i) => ({ ...p.programs[0]!, name: `p${i}` })) };
}

/** The prog_array's entries (index -> program) and the devmap's (index -> ifindex). */
interface Tables {
  readonly jmp?: Record<number, number>;
  readonly dev?: Record<number, number>;
}

function mapsFor(object: BpfObject, t: Tables): BpfMap[] {
  const maps = instantiateMaps(object);
  for (const [k, v] of Object.entries(t.jmp ?? {})) expect(maps[0]!.update(u32leBytes(Number(k)), u32leBytes(v), 0)).toBe(0);
  for (const [k, v] of Object.entries(t.dev ?? {})) expect(maps[2]!.update(u32leBytes(Number(k)), u32leBytes(v), 0)).toBe(0);
  return maps;
}

type Outcome = { kind: "done"; r0: string; packets?: string[] } | { kind: "error"; insn: number | undefined; codes: readonly string[] };

function catching(fn: () => Outcome, engine: boolean): Outcome {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    if (!engine) return { kind: "error", insn: d.loc.insn, codes: [d.code] };
    expect(d.code, d.message).toBe("run-engine-fault");
    const errCode = Number(/engine error (\d+)/.exec(d.message)![1]);
    return { kind: "error", insn: d.loc.insn, codes: ENGINE_ERRORS[errCode]!.diags };
  }
}

function expectSame(got: Outcome, ref: Outcome): void {
  if (ref.kind === "error" && got.kind === "error") {
    expect(got.codes).toContain(ref.codes[0]);
    // run-tail-call has no instruction in the interpreter
    if (ref.insn !== undefined) expect(got.insn).toBe(ref.insn);
  } else {
    expect(got).toEqual(ref);
  }
}

function compareRaw(texts: readonly string[], t: Tables, entry = 0): Outcome {
  const object = objectOf(texts);
  const ref = catching(() => ({ kind: "done", r0: "0x" + runRaw(object, undefined, { maps: mapsFor(object, t), program: entry }).r0.toString(16) }), false);
  const got = catching(() => ({ kind: "done", r0: "0x" + fpgaBackend.runRaw!({ object, program: entry, maxSteps: 100_000, maps: mapsFor(object, t) }).r0.toString(16) }), true);
  expectSame(got, ref);
  return ref;
}

const FRAMES = [Uint8Array.from({ length: 60 }, (_, i) => i * 3), Uint8Array.from({ length: 14 }, (_, i) => 200 - i), Uint8Array.from({ length: 100 }, (_, i) => i ^ 0x5a)];

function compareXdp(texts: readonly string[], t: Tables, entry = 0): Outcome {
  const object = objectOf(texts);
  const ref = catching(() => {
    const maps = mapsFor(object, t);
    const host = newHostState();
    const rs = FRAMES.map((f) => runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }, { program: entry }));
    return { kind: "done", r0: rs.map((r) => r.r0.toString(16)).join(","), packets: rs.map((r) => `${hex(r.packet)}${r.redirect?.ifindex !== undefined ? ` to ${r.redirect.ifindex}` : ""}`) };
  }, false);
  const got = catching(() => {
    const r = fpgaBackend.runXdp!({ object, program: entry, frames: FRAMES, ifindex: 1, maxSteps: 100_000, maps: mapsFor(object, t) });
    return { kind: "done", r0: r.packets.map((p) => p.r0.toString(16)).join(","), packets: r.packets.map((p) => `${hex(p.packet)}${p.redirect?.ifindex !== undefined ? ` to ${p.redirect.ifindex}` : ""}`) };
  }, true);
  expectSame(got, ref);
  return ref;
}

const TAIL = (index: number | string) => `lddw %r2, map(jmp)\nmov %r3, ${index}\ncall 12`;

describe.skipIf(!haveVerilator)("bpf_tail_call on the FPGA engine matches the interpreter", () => {
  it("jumps to the program the prog_array names; r0 of the target", () => {
    expect(compareRaw([`${TAIL(1)}\nmov %r0, 7\nexit`, "mov %r0, 42\nexit"], { jmp: { 1: 1 } })).toEqual({ kind: "done", r0: "0x2a" });
  });
  it("a missing entry, an index past max_entries or past 32 bits, or a map of another kind fall through with the error", () => {
    const tail = (idx: string) => `lddw %r2, map(jmp)\n${idx}\ncall 12\nadd %r0, 1000\nexit`;
    expect(compareRaw([tail("mov %r3, 2"), "mov %r0, 42\nexit"], { jmp: { 1: 1 } })).toEqual({ kind: "done", r0: "0x" + BigInt.asUintN(64, 998n).toString(16) });
    compareRaw([tail("mov %r3, 4"), "mov %r0, 42\nexit"], { jmp: { 1: 1 } });
    compareRaw([tail("lddw %r3, 0x100000001"), "mov %r0, 42\nexit"], { jmp: { 1: 1 } });
    expect(compareRaw(["lddw %r2, map(arr)\nmov %r3, 0\ncall 12\nexit", "mov %r0, 42\nexit"], { jmp: { 0: 1 } })).toEqual({ kind: "done", r0: "0x" + BigInt.asUintN(64, -22n).toString(16) });
  });
  it("registers and the stack frame carry over; a tail call from a subprogram drops the frames", () => {
    compareRaw([
      `mov %r6, 5\nstdw [%r10-8], 99\ncall local f\nmov %r0, 1\nexit\nf:\nmov %r7, 11\n${TAIL(3)}\nmov %r0, 2\nexit`,
      "mov %r0, 1\nexit",
      "mov %r0, 2\nexit",
      "ldxdw %r0, [%r10-8]\nadd %r0, %r6\nmul %r0, %r7\nexit",
    ], { jmp: { 3: 3 } });
  });
  it("a program that tail-calls itself stops at 33 tail calls and falls through with -ENOENT", () => {
    const self = `add %r6, 1\n${TAIL(0)}\nlsh %r0, 8\nadd %r0, %r6\nexit`;
    expect(compareRaw([self], { jmp: { 0: 0 } })).toEqual({ kind: "done", r0: "0x" + BigInt.asUintN(64, (-2n << 8n) + 34n).toString(16) });
  });
  it("a chain through every program, the entry not program 0", () => {
    compareRaw([
      `mul %r6, 3\nadd %r6, 1\n${TAIL(1)}\nmov %r0, 100\nexit`,
      `mul %r6, 5\nadd %r6, 2\n${TAIL(2)}\nmov %r0, 101\nexit`,
      `mul %r6, 7\nadd %r6, 3\nmov %r0, %r6\nexit`,
      `mov %r6, 1\n${TAIL(3)}\nmov %r0, 103\nexit`,
    ], { jmp: { 3: 0, 1: 1, 2: 2 } }, 3);
  });
  it("faults in the target program at the interpreter's instruction (counted from that program's start)", () => {
    expect(compareRaw([`${TAIL(1)}\nexit`, "mov %r0, 0\nmov %r1, 0\nldxb %r0, [%r1+0]\nexit"], { jmp: { 1: 1 } })).toMatchObject({ kind: "error", insn: 2 });
  });
  it("a prog_array naming a program the object lacks: the interpreter's run-tail-call", () => {
    expect(compareRaw([`${TAIL(1)}\nexit`, "mov %r0, 42\nexit"], { jmp: { 1: 5 } })).toMatchObject({ kind: "error", codes: ["run-tail-call"] });
  });
  it("XDP: the target sees the context and the packet; verdicts and frames per packet", () => {
    compareXdp([
      `mov %r6, %r1\nldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 1\njgt %r4, %r3, out\nldxb %r7, [%r2+0]\nand %r7, 1\nmov %r1, %r6\nlddw %r2, map(jmp)\nmov %r3, %r7\ncall 12\nout:\nmov %r0, 2\nexit`,
      "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 14\njgt %r4, %r3, drop\nstb [%r2+0], 0xee\nmov %r0, 3\nexit\ndrop:\nmov %r0, 1\nexit",
      "mov %r2, 4\ncall 44\nmov %r0, 2\nexit",
    ], { jmp: { 0: 1, 1: 2 } });
  });

  it("random tail-call graphs (fast-check): every program mixes r6 and the stack, then tail-calls by a computed index", () => {
    const program = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom("and", "mod")).map(([mul, add, how]) =>
      `mul %r6, ${mul}\nadd %r6, ${add}\nldxdw %r7, [%r10-8]\nadd %r7, %r6\nstxdw [%r10-8], %r7\nmov %r3, %r6\n${how === "and" ? "and %r3, 7" : "mod %r3, 5"}\nlddw %r2, map(jmp)\ncall 12\nmov %r0, %r7\nexit`);
    const graph = fc.record({
      programs: fc.array(program, { minLength: 1, maxLength: 5 }),
      entries: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 })), { maxLength: 4 }),
    });
    for (const g of fc.sample(graph, { numRuns: 25, seed: 12 })) {
      const programs = g.programs.map((p, i) => (i === 0 ? `stdw [%r10-8], 0\nmov %r6, 1\n${p}` : p));
      const jmp = Object.fromEntries(g.entries.map(([k, v]) => [k, v]));
      compareRaw(programs, { jmp });
    }
  });
});

describe.skipIf(!haveVerilator)("bpf_redirect_map on the FPGA engine matches the interpreter", () => {
  const redirect = (key: string, flags: number) => `mov %r6, %r1\nlddw %r1, map(dev)\n${key}\nmov %r3, ${flags}\ncall 51\nexit`;
  it("a set slot redirects (XDP_REDIRECT, its ifindex); an empty or out-of-range one returns the flags' low bits", () => {
    for (const [key, flags] of [["mov %r2, 1", 0], ["mov %r2, 0", 2], ["mov %r2, 3", 6], ["mov %r2, 4", 1], ["mov %r2, -1", 3]] as const) {
      compareXdp([redirect(key, flags)], { dev: { 1: 7, 2: 9 } });
    }
  });
  it("the key from the packet; a later failing call keeps the earlier target", () => {
    compareXdp([[
      "ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]", "mov %r4, %r2", "add %r4, 1", "mov %r0, 2", "jgt %r4, %r3, out",
      "ldxb %r2, [%r2+0]", "and %r2, 3", "lddw %r1, map(dev)", "mov %r3, 1", "call 51", "mov %r7, %r0",
      "mov %r2, 2", "lddw %r1, map(dev)", "mov %r3, 0", "call 51", "mov %r0, %r7", "out:", "exit",
    ].join("\n")], { dev: { 0: 4, 1: 5, 3: 6 } });
  });
  it("the map must be a devmap: an array returns the flags; a non-map faults as the interpreter does", () => {
    compareXdp(["lddw %r1, map(arr)\nmov %r2, 0\nmov %r3, 2\ncall 51\nexit"], {});
    expect(compareXdp(["mov %r1, 0\nmov %r2, 0\nmov %r3, 2\ncall 51\nexit"], {})).toMatchObject({ kind: "error", insn: 3 });
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
      compareXdp([text], { dev: Object.fromEntries(Object.entries(r.dev).map(([k, v]) => [Number(k), v])) });
    }
  });
  it("the CLI line names the target as the interpreter's does", () => {
    const object = objectOf([redirect("mov %r2, 1", 0)]);
    const r = fpgaBackend.runXdp!({ object, program: 0, frames: FRAMES.slice(0, 1), ifindex: 1, maxSteps: 1000, maps: mapsFor(object, { dev: { 1: 12 } }) });
    expect(r.packets[0]).toMatchObject({ r0: 4n, redirect: { ifindex: 12 } });
  });
});

describe("the ROM layout and the handle rule", () => {
  it("with a prog_array the entry program comes first, then the others in object order", () => {
    const object = objectOf(["mov %r0, 1\nexit", "mov %r0, 2\nmov %r0, 2\nexit", "exit"]);
    expect(romLayout(object, 1).programs.map((p) => [p.index, p.base, p.len])).toEqual([[1, 0, 3], [0, 3, 2], [2, 5, 1]]);
    const single = assemble("mov %r0, 1\nexit");
    expect(romLayout(single, 0).programs).toHaveLength(1);
  });
  it("prog_array/devmap handles may only reach their own helper", () => {
    const maps = objectOf(["exit"]).maps;
    const at = (text: string) => slotHandleProblems(assemble(MAPS + text).programs[0]!.slots, maps).map(([i]) => i);
    expect(at(`${TAIL(1)}\nexit`)).toEqual([]);
    expect(at("lddw %r1, map(dev)\nmov %r2, 0\nmov %r3, 0\ncall 51\nexit")).toEqual([]);
    expect(at("lddw %r1, map(dev)\nmov %r2, %r10\ncall 1\nexit")).toEqual([0]);
    expect(at("lddw %r1, map(jmp)\nmov %r3, 0\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r2, map(jmp)\nmov %r4, %r2\nmov %r3, 0\ncall 12\nexit")).toEqual([]);
    expect(at("lddw %r1, map(jmp)\nmov %r2, %r1\nmov %r1, %r6\nmov %r3, 0\ncall 12\nexit")).toEqual([]);
    expect(at("lddw %r1, map(jmp)\nmov %r6, %r1\nmov %r2, %r1\nmov %r3, 0\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r2, map(jmp)\nmov32 %r4, %r2\nmov %r3, 0\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r2, map(jmp)\nadd %r2, 8\nmov %r3, 0\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r2, map(jmp)\nldxw %r3, [%r2+0]\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r2, map(jmp)\nja +0\nmov %r3, 0\ncall 12\nexit")).toEqual([0]);
    expect(at("lddw %r6, map(jmp)\nmov %r6, 0\nexit")).toEqual([]);
  });
  it("every program of the ROM goes through the offload check, the diagnostic naming the program", () => {
    const object = objectOf([`${TAIL(1)}\nmov %r0, 2\nexit`, "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nexit"]);
    let diags: readonly { message: string; loc: { insn?: number }; notes: readonly string[] }[] = [];
    try {
      fpgaBackend.runXdp!({ object, program: 0, frames: FRAMES, ifindex: 1, maxSteps: 1000 });
    } catch (e) {
      if (!(e instanceof DiagnosticError)) throw e;
      diags = e.diagnostics;
    }
    expect(diags.map((d) => [d.message, d.loc.insn, d.notes])).toEqual([["target fpga does not support helper csum_diff (28)", 5, ["in program p1"]]]);
  });
  it("the run refuses a devmap handle passed to map_lookup_elem", () => {
    const object = objectOf(["stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(dev)\ncall 1\nmov %r0, 2\nexit"]);
    expect(() => fpgaBackend.runXdp!({ object, program: 0, frames: FRAMES, ifindex: 1, maxSteps: 1000 })).toThrow(/instruction 3: target fpga does not support the handle of devmap 'dev'/);
  });
});

/** Three XDP programs in one object: the entry tail-calls by the first byte, one redirects through a devmap, one pops 4 bytes. */
const TAIL_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } ports SEC(".maps");
SEC("xdp") int entry(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 1 > end) return XDP_PASS;
	bpf_tail_call(ctx, &jmp, *(__u8 *)data & 3);
	return XDP_DROP;
}
SEC("xdp") int fwd(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end) return XDP_ABORTED;
	return bpf_redirect_map(&ports, *(__u8 *)(data + 1) & 3, XDP_PASS);
}
SEC("xdp") int pop(struct xdp_md *ctx) {
	if (bpf_xdp_adjust_head(ctx, 4)) return XDP_ABORTED;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
`;
const TAIL_MAPS = JSON.stringify({
  jmp: [[0, 1], [1, 2]].map(([k, v]) => ({ key: ["0x0" + k, "0x00", "0x00", "0x00"], value: ["0x0" + v, "0x00", "0x00", "0x00"] })),
  ports: [[1, 7], [2, 9]].map(([k, v]) => ({ key: ["0x0" + k, "0x00", "0x00", "0x00"], value: ["0x0" + v, "0x00", "0x00", "0x00"] })),
});

const haveClang = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");
describe.skipIf(!haveVerilator || !haveClang)("a clang object with three programs: run --target fpga and the built bundle under sim (requires: clang, verilator)", () => {
  it("give the interpreter's lines (redirect targets included), packets and maps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-fpga-tail-"));
    writeFileSync(join(dir, "tail.c"), TAIL_C);
    const obj = clangBuild(join(dir, "tail.c"), dir);
    writeFileSync(join(dir, "maps.json"), TAIL_MAPS);
    const frames = Array.from({ length: 12 }, (_, i) => Uint8Array.from([(i >> 2) & 3, i & 3, ...Array.from({ length: 40 }, (_, k) => k)]));
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const args = (target: string) => ["run", obj, "--program", "entry", "--target", target, "--pcap", "in.pcap", "--maps-in", "maps.json", "--out", `${target}.pcap`, "--maps-out", `${target}.json`];
    const interp = await runCli(args("interp"), dir);
    expect(interp.stdout).toMatch(/to ifindex 7, XDP_REDIRECT/);
    expect(interp.stdout).toMatch(/38 out, r0=0x3, XDP_TX/);
    const fpga = await runCli(args("fpga"), dir);
    expect(fpga).toEqual(interp);
    expect(readFileSync(join(dir, "fpga.pcap"))).toEqual(readFileSync(join(dir, "interp.pcap")));
    const build = await runCli(["build", obj, "--program", "entry", "--target", "fpga", "-o", "bundle"], dir);
    expect(build.stderr).toBe("");
    const manifest = JSON.parse(readFileSync(join(dir, "bundle/manifest.json"), "utf8"));
    expect(manifest.resources.programs.map((p: { name: string }) => p.name)).toEqual(["entry", "fwd", "pop"]);
    // top.v's loader writes the program table and the map kinds; lint-clean as every bundle
    const top = readFileSync(join(dir, "bundle/top.v"), "utf8");
    expect(top).toMatch(/4'd1: prog_entry = \{ \d+'d\d+, \d+'d\d+ \};/);
    expect(top).toContain("kind_of = 2'd1;   // prog_array");
    const lint = spawnSync("verilator", ["--lint-only", "-Wall", "--top-module", "bpfoff_top", "top.v", ...readdirSync(join(dir, "bundle/rtl")).map((f) => `rtl/${f}`)], { cwd: join(dir, "bundle"), encoding: "utf8" });
    expect(lint.stderr).toBe("");
    const sim = await runCli(["sim", "bundle", "--pcap", "in.pcap", "--maps-in", "maps.json", "--out", "sim.pcap", "--maps-out", "sim.json"], dir);
    expect(sim.stdout).toBe(interp.stdout);
    expect(readFileSync(join(dir, "sim.pcap"))).toEqual(readFileSync(join(dir, "interp.pcap")));
    expect(readFileSync(join(dir, "sim.json"), "utf8")).toBe(readFileSync(join(dir, "interp.json"), "utf8"));
  });
});
