// `bpfoff build --target fpga --synth`: yosys reports the engine's resources for the
// program's configuration (requires: yosys; about 45 s for the generic mapping).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";
import { BLOCK_RAMS, memoryBlocks } from "../../../backends/fpga/resources.js";

const haveYosys = requireOrSkip("yosys", hasTool("yosys", ["-V"]), "yosys is not installed (apt-get install yosys)");

const cli = runCli;

// yosys on the 4-lane engine takes 2-4 minutes on an idle machine, past 10 on a loaded
// one (measured: 23 minutes for ECP5 under a load of 11 on 2 cores).
const SYNTH_TIMEOUT = 1_800_000;

describe("bpfoff build --synth", () => {
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
  it.skipIf(!haveYosys)("records the ECP5 figures in manifest.json; the data memories take the block RAMs the estimate says", { timeout: SYNTH_TIMEOUT }, async () => {
    const r = await cli(["build", "inc.s", "--target", "fpga", "--type", "raw", "-o", "e", "--synth", "ecp5"], dir);
    expect(r.stderr).toBe("");
    const m = /^synth \(ecp5\): (\d+) LUTs, (\d+) flip-flops, (\d+) block RAMs, (\d+) DSPs, 0 unmapped memories, logic depth (\d+)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const manifest = JSON.parse(readFileSync(join(dir, "e", "manifest.json"), "utf8"));
    const synth = manifest.resources.synth.ecp5;
    expect(synth.tool).toMatch(/^yosys \d/);
    expect([synth.luts, synth.flip_flops, synth.block_rams, synth.dsps, synth.logic_depth]).toEqual([1, 2, 3, 4, 5].map((i) => Number(m![i])));
    // The estimate counts every memory in block RAM; yosys turns an 8-slot ROM into LUTs
    // (its contents are fixed by prog.hex), so the data and map memories are what is left.
    const est = manifest.resources.estimate;
    const rom = est.memories.find((x: { name: string }) => x.name === "program ROM");
    const romBlocks = memoryBlocks(BLOCK_RAMS["ecp5"]!, { ...rom, readPorts: rom.read_ports });
    expect(synth.block_rams).toBe(est.block_rams.ecp5.count - romBlocks);
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
