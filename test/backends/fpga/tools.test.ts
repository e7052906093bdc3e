// The engine's RTL under the other tools: verilator's linter with every warning on, and
// a smoke run under Icarus Verilog (a second, independent simulator) compared with the
// interpreter. requires: verilator, iverilog
import { liftProgram } from "../../../ir/lift/lift.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { hashHome, mapLayout } from "../../../backends/fpga/maps.js";
import { bundleImage, DEFAULT_LANES, ENGINE_ROOT, romImage, rtlFiles } from "../../../backends/fpga/sim.js";
import { singleProgramRom } from "../../../backends/fpga/sched/rom.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { instantiateMaps, runRaw } from "../../../runtime/interp/run.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { objectOf, slotsOf } from "./support.js";
import type { BpfObject } from "../../../ir/bpf/object.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveIverilog = requireOrSkip("iverilog", hasTool("iverilog", ["-V"]), "iverilog is not installed (apt-get install iverilog)");

describe("program image", () => {
  it("is one 64-bit little-endian slot per line, 16 hex digits (opcode in the low byte)", () => {
    // mov %r0, 1 = b7 00 0000 01000000; lddw %r2, 0x1122334455667788 = two slots
    expect(romImage(slotsOf("mov %r0, 1\nlddw %r2, 0x1122334455667788\nexit"))).toBe(
      "00000001000000b7\n5566778800000218\n1122334400000000\n0000000000000095\n",
    );
  });

  it("bpf_imem's image is one bundle a line, the last lane first; lddw's second half in the lane after it", () => {
    const rom = singleProgramRom(slotsOf("mov %r0, 1\nlddw %r2, 0x1122334455667788\nexit"), 4);
    expect(bundleImage(rom.layout.slots, 4)).toBe(
      // lane 3 lddw's second half, lane 2 lddw, lane 1 mov %r0, 1, lane 0 the exit (it reads r0 after the bundle's writes)
      "1122334400000000" + "5566778800000218" + "00000001000000b7" + "0000000000000095" + "\n",
    );
  });
});

describe.skipIf(!haveVerilator)("verilator --lint-only -Wall", () => {
  it("is clean on the engine", () => {
    const r = spawnSync("verilator", ["--lint-only", "-Wall", "--top-module", "bpf_engine", ...rtlFiles()], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

// A loop, a bpf-to-bpf call, the stack, a division and a helper: most of the engine.
const SMOKE = `
  mov %r6, 0
  mov %r7, 10
loop:
  add %r6, %r7
  sub %r7, 1
  jne %r7, 0, loop
  stxdw [%r10-8], %r6
  mov %r1, %r6
  call local triple
  ldxdw %r2, [%r10-8]
  add %r0, %r2
  div %r0, 7
  mov %r8, %r0
  call 7
  and %r0, 0xff
  add %r0, %r8
  exit
triple:
  mov %r0, %r1
  mul %r0, 3
  exit
`;

describe.skipIf(!haveIverilog)("Icarus Verilog smoke test", () => {
  it("runs a program from a $readmemh image and agrees with the interpreter", () => {
    const slots = slotsOf(SMOKE, "smoke.s");
    const want = runRaw(objectOf(slots), undefined);
    const work = mkdtempSync(join(tmpdir(), "bpfoff-iverilog-"));
    try {
      // scheduled for the default engine (4 lanes): one bundle a line
      const scheduled = singleProgramRom(slots, DEFAULT_LANES);
      const rom = join(work, "prog.hex");
      writeFileSync(rom, bundleImage(scheduled.layout.slots, DEFAULT_LANES));
      const exe = join(work, "smoke.vvp");
      const c = spawnSync("iverilog", ["-g2005", "-o", exe, "-s", "tb_smoke", `-Ptb_smoke.ROM="${rom}"`, `-Ptb_smoke.PROG_LEN=${scheduled.layout.entryLen}`,
        join(ENGINE_ROOT, "backends/fpga/sim/tb_smoke.v"), ...rtlFiles()], { encoding: "utf8" });
      expect(c.stderr).toBe("");
      expect(c.status).toBe(0);
      const r = spawnSync("vvp", ["-n", exe], { encoding: "utf8" });
      expect(r.status).toBe(0);
      const m = /r0=([0-9a-f]+) cycles=(\d+) retired=(\d+) status=\s*(\w+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(m![4]).toBe("done");
      expect(BigInt("0x" + m![1])).toBe(want.r0);
      // hoisted operations retire on a taken jump's path too (docs/fpga-engine.md, "Scheduling")
      expect(Number(m![3])).toBeGreaterThanOrEqual(want.steps);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

/** Drives a bundle's bpfoff_top: reset, wait for the map loader, zero the stack, run, read map row ROW. */
const MAP_TB = (imemAw: number, row: number) => `module tb;
  reg clk = 0, rst = 1, host_en = 0, host_we = 0, host_map = 0, start = 0;
  reg [9:0] host_row = 0; reg [12:0] host_map_row = 0; reg [63:0] host_wdata = 0;
  wire [63:0] host_rdata, r0, cycles, retired; wire ready, busy, done, error; wire [3:0] err_code;
  wire [31:0] pkt_data, pkt_end, rx_frame_len; wire rx_ready, rx_frame_done, rx_overflow; wire [${imemAw}:0] fault_pc;
  bpfoff_top dut(.clk(clk), .rst(rst), .host_en(host_en), .host_we(host_we), .host_row(host_row), .host_wdata(host_wdata), .host_rdata(host_rdata),
    .host_map(host_map), .host_map_row(host_map_row), .ready(ready), .start(start), .r1_init(64'd0), .r2_init(64'd0), .mem_len(32'd0), .xdp_mode(1'b0),
    .ingress_ifindex(32'd0), .rx_queue_index(32'd0), .pkt_data(pkt_data), .pkt_end(pkt_end), .rx_valid(1'b0), .rx_ready(rx_ready), .rx_data(64'd0), .rx_keep(8'd0),
    .rx_sop(1'b0), .rx_eop(1'b0), .rx_frame_len(rx_frame_len), .rx_frame_done(rx_frame_done), .rx_overflow(rx_overflow), .busy(busy), .done(done), .error(error),
    .err_code(err_code), .fault_pc(fault_pc), .r0(r0), .cycles(cycles), .retired(retired));
  always #5 clk = !clk;
  integer i;
  initial begin
    @(posedge clk); @(posedge clk); #1 rst = 0;
    while (!ready) @(posedge clk);
    #1 host_en = 1; host_we = 1; host_wdata = 0;
    for (i = 0; i < 512; i = i + 1) begin host_row = i; @(posedge clk); #1; end
    host_en = 0; host_we = 0; start = 1; @(posedge clk); #1 start = 0;
    while (!done && !error) @(posedge clk);
    #1 host_en = 1; host_map = 1; host_map_row = ${row}; @(posedge clk); #1 host_en = 0;
    $display("done=%b r0=%h row=%h", done, r0, host_rdata);
    $finish;
  end
endmodule
`;

/**
 * Writes the fpga bundle of a raw program (with `overrides` replacing some of its files),
 * runs it under Icarus with MAP_TB, and returns r0 and the map memory row `row` after the run.
 */
function runBundleInIcarus(object: BpfObject, name: string, row: number, overrides: Record<string, string> = {}): { r0: bigint; row: bigint } {
  const out = fpgaBackend.compile({ object, module: liftProgram(object, 0, "raw", name), program: 0, programType: "raw", source: { name, sha256: "0".repeat(64) } });
  const work = mkdtempSync(join(tmpdir(), "bpfoff-iverilog-maps-"));
  try {
    for (const [path, data] of out.files) {
      mkdirSync(join(work, path, ".."), { recursive: true });
      writeFileSync(join(work, path), overrides[path] ?? data);
    }
    writeFileSync(join(work, "tb.v"), MAP_TB((out.manifest.resources as { engine: { parameters: { IMEM_AW: number } } }).engine.parameters.IMEM_AW, row));
    const c = spawnSync("iverilog", ["-g2005", "-o", "sim.vvp", "-s", "tb", "tb.v", "top.v", ...rtlFiles().map((f) => `rtl/${f.split("/").pop()}`)], { cwd: work, encoding: "utf8" });
    expect(c.stderr).toBe("");
    expect(c.status).toBe(0);
    const r = spawnSync("vvp", ["-n", "sim.vvp"], { cwd: work, encoding: "utf8" });
    const m = /done=1 r0=([0-9a-f]+) row=([0-9a-f]+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    return { r0: BigInt("0x" + m![1]), row: BigInt("0x" + m![2]) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe.skipIf(!haveIverilog)("Icarus Verilog: bundles with array, hash and LPM maps", () => {
  it("top.v's loader fills the map memory from maps/<name>.hex after reset; the run updates it as the interpreter does", () => {
    const object = assemble(`.map m array key=4 value=12 entries=3
.map n array key=4 value=8 entries=2
stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
lddw %r1, map(m)
call 1
jeq %r0, 0, out
mov %r1, 7
lock add [%r0+4], %r1
ldxw %r0, [%r0+4]
out:
exit`, "m.s");
    // m[1] = 0, 5, 0 (u32s): element 1 is row 2 of m's 16-byte slots
    const mHex = "0000000000000000\n".repeat(2) + "0000000500000000\n" + "0000000000000000\n".repeat(3);
    const maps = instantiateMaps(object);
    maps[0]!.update(u32leBytes(1), Uint8Array.from([0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]), 0);
    const want = runRaw(object, undefined, { maps });
    const { r0, row } = runBundleInIcarus(object, "m.s", 2, { "maps/m.hex": mHex });
    expect(r0).toBe(want.r0);
    expect(want.r0).toBe(12n);
    const value = maps[0]!.lookup(u32leBytes(1))!;
    expect(row).toBe(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true));
  });
  it("a hash map: the loader writes its header and slots; insert (BPF_NOEXIST) and lookup + atomic add as the interpreter", () => {
    const object = assemble(`.map h hash key=4 value=8 entries=3
stw [%r10-4], 0x0a0b0c0d
stdw [%r10-16], 30
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 1
lddw %r1, map(h)
call 2
mov %r2, %r10
add %r2, -4
lddw %r1, map(h)
call 1
jeq %r0, 0, out
mov %r1, 7
lock add [%r0+0], %r1
ldxdw %r0, [%r0+0]
out:
exit`, "h.s");
    const want = runRaw(object, undefined, { maps: instantiateMaps(object) });
    const p = mapLayout(object.maps).maps[0]!;
    const { r0, row } = runBundleInIcarus(object, "h.s", (p.base + (hashHome(Uint8Array.of(0x0d, 0x0c, 0x0b, 0x0a), 3) << p.shift)) / 8);
    expect(want.r0).toBe(37n);
    expect(r0).toBe(want.r0);
    expect(row).toBe(37n);
  });
  it("an LPM trie: the loader writes the header; two nested prefixes inserted, a /32 lookup finds the longer, the length bitmap as the host lays it out", () => {
    const object = assemble(`.map t lpm_trie key=8 value=8 entries=4
stw [%r10-8], 16
stw [%r10-4], 0x0000010a
stdw [%r10-16], 2
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map(t)
call 2
stw [%r10-8], 24
stw [%r10-4], 0x0002010a
stdw [%r10-16], 3
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map(t)
call 2
stw [%r10-8], 32
stw [%r10-4], 0x0302010a
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
call 1
jeq %r0, 0, out
ldxdw %r0, [%r0+0]
out:
exit`, "t.s");
    const want = runRaw(object, undefined, { maps: instantiateMaps(object) });
    const p = mapLayout(object.maps).maps[0]!;
    const { r0, row } = runBundleInIcarus(object, "t.s", (p.base - 24) / 8);
    expect(want.r0).toBe(3n);
    expect(r0).toBe(want.r0);
    expect(row).toBe((1n << 16n) | (1n << 24n));
  });
  it("sixteen maps and a prog_array: the loader's 16 table steps fill map table entries 8..15 and leave the 8-entry program table alone; a tail call and map 15 as the interpreter", () => {
    const decl = ".map jmp prog_array key=4 value=4 entries=2\n" + Array.from({ length: 15 }, (_, i) => `.map m${i + 1} array key=4 value=8 entries=1\n`).join("");
    const entry = assemble(`${decl}stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(m15)
call 1
jeq %r0, 0, out
mov %r1, 9
stxdw [%r0+0], %r1
mov %r6, 5
lddw %r2, map(jmp)
mov %r3, 0
call 12
mov %r0, 1000
out:
exit`, "e.s");
    const target = assemble(`${decl}mov %r0, %r6\nadd %r0, 7\nexit`, "t.s");
    const object: BpfObject = { ...entry, programs: [{ ...entry.programs[0]!, name: "entry" }, { ...target.programs[0]!, name: "target" }] };
    const maps = instantiateMaps(object);
    expect(maps[0]!.update(u32leBytes(0), u32leBytes(1), 0)).toBe(0);
    const want = runRaw(object, undefined, { maps });
    expect(want.r0).toBe(12n);
    // the prog_array's slot 0 names program 1 (the index in bytes 0-3, 1 in bytes 4-7), as maps.ts lays it out
    const p = mapLayout(object.maps).maps[15]!;
    const { r0, row } = runBundleInIcarus(object, "e.s", p.base / 8, { "maps/jmp.hex": "0000000100000001\n0000000000000000\n" });
    expect(r0).toBe(want.r0);
    expect(row).toBe(9n);
  });
});
