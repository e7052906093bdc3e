// `bpfoff build --target fpga --synth`: yosys reports the engine's resources for the
// program's configuration (requires: yosys; about two minutes for the generic mapping; the
// ECP5 mapping is in synth-ecp5.test.ts, so that the two run on different workers).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";

const haveYosys = requireOrSkip("yosys", hasTool("yosys", ["-V"]), "yosys is not installed (apt-get install yosys)");

const cli = runCli;

// yosys takes minutes on an idle machine and many more on a loaded one
// (measured: 23 minutes for ECP5 of the 4-lane engine under a load of 11 on 2 cores).
const SYNTH_TIMEOUT = 1_800_000;

describe("bpfoff build --synth", () => {
  // What this tests is the --synth path (yosys run, figures parsed, manifest written), not
  // the engine's size: the single-lane engine keeps each mapping to about two minutes on an idle machine,
  // against six for four lanes. The 4-lane figures come from the bench commands in docs/PERFORMANCE.md.
  const lanes = process.env["BPFOFF_FPGA_LANES"];
  beforeAll(() => void (process.env["BPFOFF_FPGA_LANES"] = "1"));
  afterAll(() => (lanes === undefined ? delete process.env["BPFOFF_FPGA_LANES"] : void (process.env["BPFOFF_FPGA_LANES"] = lanes)));
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-synth-"));
  writeFileSync(join(dir, "inc.s"), "mov %r0, 0\njlt %r2, 4, +2\nldxw %r0, [%r1]\nadd %r0, 1\nexit\n");
  it.skipIf(!haveYosys)("reports LUTs, flip-flops and the logic depth of the generic mapping", { timeout: SYNTH_TIMEOUT }, async () => {
    const r = await cli(["build", "inc.s", "--target", "fpga", "--type", "raw", "-o", "b", "--synth"], dir);
    expect(r.stderr).toBe("");
    const m = /^synth \(generic\): (\d+) LUTs, (\d+) flip-flops, 0 block RAMs, 0 DSPs, (\d+) unmapped memories, logic depth (\d+)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [luts, ffs, mems, depth] = m!.slice(1).map(Number) as [number, number, number, number];
    // The 64x64 multiplier alone is thousands of LUTs without DSPs; the register file and
    // pipeline registers are hundreds of flip-flops; ROM, data and map memories stay memories.
    expect(luts).toBeGreaterThan(5000);
    expect(ffs).toBeGreaterThan(500);
    expect(mems).toBeGreaterThan(0);
    expect(depth).toBeGreaterThan(5);
  });
  it("--synth only goes with --target fpga", async () => {
    const r = await cli(["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "c", "--synth"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("bpfoff: error: --synth goes with --target fpga, without --check\n");
  });
  it("an unknown mapping is named", async () => {
    const r = await cli(["build", "inc.s", "--target", "fpga", "--type", "raw", "-o", "d", "--synth", "gowin"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--synth mapping must be one of generic, ecp5, ice40, xilinx, not 'gowin'/);
  });
});
