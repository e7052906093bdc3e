// Global data on the Verilog BPF engine: `lddw map_value(m)+off` (src 2, libbpf's .data,
// .rodata and .bss as one-element array maps) and read-only maps (BPF_F_RDONLY_PROG:
// stores and atomics to their values fault, as the interpreter's read-only regions do),
// in Verilator against the reference interpreter: r0 and the final maps, faults at the
// same instruction; a clang-built XDP program with all three sections through
// `bpfoff run --target fpga` and the bundle's `bpfoff sim`.
// requires: verilator, clang
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { buildEngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";
import { clangBuild, clangMissing } from "../bpf/support.js";
import { compareRaw } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveClang = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

/** .data-like d (16 bytes), .rodata-like ro (read-only, 8 bytes), a plain array a; the same initial values on both sides. */
const DECL = ".map d array key=4 value=16 entries=1\n.map ro array key=4 value=8 entries=1 flags=128\n.map a array key=4 value=8 entries=2\n";
function seeded(object: BpfObject) {
  const maps = instantiateMaps(object);
  maps.forEach((m, k) => expect(m.update(u32leBytes(0), Uint8Array.from({ length: m.def.valueSize }, (_, j) => 0x10 * (k + 1) + j), 0)).toBe(0));
  return maps;
}

describe.skipIf(!haveVerilator)("global data and read-only maps on the FPGA engine match the interpreter", () => {
  it("loads, stores and atomics through map_value addresses with offsets; loads from a read-only map", () => {
    const r = compareRaw(`${DECL}lddw %r6, map_value(d)+4
ldxw %r0, [%r6+0]
lddw %r7, map_value(ro)
ldxdw %r1, [%r7+0]
add %r0, %r1
lddw %r8, map_value(d)
stxdw [%r8+8], %r0
mov %r1, 3
lock add [%r8+0], %r1
lddw %r2, map_value(ro)+6
ldxh %r2, [%r2+0]
add %r0, %r2
exit`, undefined, seeded);
    expect(r.kind).toBe("done");
  });

  const FAULTS: Record<string, string> = {
    "a store into a read-only map": "lddw %r1, map_value(ro)\nstw [%r1+0], 1\nmov %r0, 0\nexit",
    "an atomic on a read-only map": "lddw %r1, map_value(ro)+4\nmov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 0\nexit",
    "a store through a lookup of a read-only map": "stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(ro)\ncall 1\njeq %r0, 0, +1\nstb [%r0+7], 1\nmov %r0, 0\nexit",
    "a load past the value from an offset": "lddw %r1, map_value(d)+12\nldxdw %r0, [%r1+0]\nexit",
    "an offset past the value": "lddw %r1, map_value(d)+16\nldxb %r0, [%r1+0]\nexit",
  };
  for (const [name, body] of Object.entries(FAULTS)) {
    it(`faults like the interpreter: ${name}`, () => {
      expect(compareRaw(`${DECL}${body}`, undefined, seeded)).toMatchObject({ kind: "error" });
    });
  }

  it("an update of a read-only map by the helper is allowed, as in the interpreter (the kernel's verifier is what forbids it)", () => {
    const r = compareRaw(`${DECL}stw [%r10-4], 0\nstdw [%r10-16], 77\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\nlddw %r1, map(ro)\ncall 2\nexit`, undefined, seeded);
    expect(r.kind).toBe("done");
  });

  it("refuses global data in a map that is not an array, and a map_value past the maps", () => {
    const object = assemble(".map h hash key=4 value=8 entries=2\nlddw %r1, map_value(h)\nmov %r0, 0\nexit", "t.s");
    expect(() => fpgaBackend.runRaw!({ object, program: 0, maxSteps: 100 })).toThrow(DiagnosticError);
    try {
      fpgaBackend.runRaw!({ object, program: 0, maxSteps: 100 });
    } catch (e) {
      expect((e as DiagnosticError).diagnostics.map((d) => d.message).join("\n")).toMatch(/map_value of map 'h' of kind hash/);
    }
  });
});

const GLOBALS_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static const volatile unsigned char weights[8] = {3, 1, 4, 1, 5, 9, 2, 6};  // .rodata
unsigned long long seen = 7;        // .data
unsigned int by_first[8];           // .bss

SEC("xdp")
int globals(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	if (data + 2 > end)
		return XDP_DROP;
	unsigned int i = data[0] & 7;
	seen += weights[i];
	__sync_fetch_and_add(&by_first[i], 1);
	data[1] = (unsigned char)seen;
	return by_first[i] > 2 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe.skipIf(!haveVerilator || !haveClang)("global data from clang (.data, .rodata, .bss) on the FPGA engine", () => {
  it("run --target fpga and the bundle's sim give the interpreter's verdicts, packets and maps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-fpga-globals-"));
    writeFileSync(join(dir, "globals.c"), GLOBALS_C);
    const obj = clangBuild(join(dir, "globals.c"), dir);
    const { writePcap } = await import("../../../runtime/packet/pcap.js");
    const frames = [0, 3, 8, 3, 11, 3, 5, 0, 1].map((b, i) => Uint8Array.from({ length: 14 + i }, (_, j) => (j === 0 ? b : j)));
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data, i) => ({ tsSec: i, tsFrac: 0, origLen: data.length, data })) }));
    const args = (t: string) => ["run", obj, "--target", t, "--pcap", "in.pcap", "--out", `${t}.pcap`, "--maps-out", `${t}.json`];
    const interp = await runCli(args("interp"), dir);
    expect(interp.code, interp.stderr).toBe(0);
    const fpga = await runCli(args("fpga"), dir);
    expect(fpga).toEqual(interp);
    const build = await runCli(["build", obj, "--target", "fpga", "-o", "bundle"], dir);
    expect(build.stderr).toBe("");
    const sim = await runCli(["sim", "bundle", "--pcap", "in.pcap", "--maps-out", "sim.json"], dir);
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.stdout).toBe(interp.stdout);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(join(dir, "fpga.json"), "utf8")).toBe(readFileSync(join(dir, "interp.json"), "utf8"));
    expect(readFileSync(join(dir, "sim.json"), "utf8")).toBe(readFileSync(join(dir, "interp.json"), "utf8"));
    expect(readFileSync(join(dir, "fpga.pcap"))).toEqual(readFileSync(join(dir, "interp.pcap")));
    expect(interp.stdout).toMatch(/XDP_DROP/);
  });
});
