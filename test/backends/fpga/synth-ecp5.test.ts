// `bpfoff build --target fpga --synth ecp5`: the vendor mapping's figures go into the
// manifest (requires: yosys). Its own file, so that it runs beside the generic mapping's
// (synth.test.ts) on another worker: each is about two minutes of yosys.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";
import { BLOCK_RAMS, memoryBlocks } from "../../../backends/fpga/resources.js";

const haveYosys = requireOrSkip("yosys", hasTool("yosys", ["-V"]), "yosys is not installed (apt-get install yosys)");

const cli = runCli;

// yosys takes minutes on an idle machine and many more on a loaded one
// (measured: 23 minutes for ECP5 of the 4-lane engine under a load of 11 on 2 cores).
const SYNTH_TIMEOUT = 1_800_000;

describe("bpfoff build --synth ecp5", () => {
  // What this tests is the --synth path (yosys run, figures parsed, manifest written), not
  // the engine's size: the single-lane engine keeps each mapping to about two minutes on an idle machine,
  // against six for four lanes. The 4-lane figures come from the bench commands in docs/PERFORMANCE.md.
  const lanes = process.env["BPFOFF_FPGA_LANES"];
  beforeAll(() => void (process.env["BPFOFF_FPGA_LANES"] = "1"));
  afterAll(() => (lanes === undefined ? delete process.env["BPFOFF_FPGA_LANES"] : void (process.env["BPFOFF_FPGA_LANES"] = lanes)));
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-synth-"));
  // a hash lookup keeps the map sequence (and the map memory's second read port) alive in the netlist
  writeFileSync(join(dir, "inc.s"), ".map h hash key=4 value=8 entries=4\nstw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(h)\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0+0]\nexit\n");
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
});
