// The engine's RTL under the other tools: verilator's linter with every warning on, and
// a smoke run under Icarus Verilog (a second, independent simulator) compared with the
// interpreter. requires: verilator, iverilog
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINE_ROOT, romImage, rtlFiles } from "../../../backends/fpga/sim.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { objectOf, slotsOf } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveIverilog = requireOrSkip("iverilog", hasTool("iverilog", ["-V"]), "iverilog is not installed (apt-get install iverilog)");

describe("program image", () => {
  it("is one 64-bit little-endian slot per line, 16 hex digits (opcode in the low byte)", () => {
    // mov %r0, 1 = b7 00 0000 01000000; lddw %r2, 0x1122334455667788 = two slots
    expect(romImage(slotsOf("mov %r0, 1\nlddw %r2, 0x1122334455667788\nexit"))).toBe(
      "00000001000000b7\n5566778800000218\n1122334400000000\n0000000000000095\n",
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
      const rom = join(work, "prog.hex");
      writeFileSync(rom, romImage(slots));
      const exe = join(work, "smoke.vvp");
      const c = spawnSync("iverilog", ["-g2005", "-o", exe, "-s", "tb_smoke", `-Ptb_smoke.ROM="${rom}"`, `-Ptb_smoke.PROG_LEN=${slots.length}`,
        join(ENGINE_ROOT, "backends/fpga/sim/tb_smoke.v"), ...rtlFiles()], { encoding: "utf8" });
      expect(c.stderr).toBe("");
      expect(c.status).toBe(0);
      const r = spawnSync("vvp", ["-n", exe], { encoding: "utf8" });
      expect(r.status).toBe(0);
      const m = /r0=([0-9a-f]+) cycles=(\d+) retired=(\d+) status=\s*(\w+)/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(m![4]).toBe("done");
      expect(BigInt("0x" + m![1])).toBe(want.r0);
      expect(Number(m![3])).toBe(want.steps);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
