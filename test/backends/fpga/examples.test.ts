// The XDP examples on the FPGA target: those the engine can run give, packet by packet,
// the interpreter's verdicts and packets and the same final maps (run in Verilator); the
// others are refused at build time by the offload check, which names what is missing.
// requires: clang, verilator
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clangBuild, clangMissing, exampleSource } from "../bpf/support.js";
import { REPO } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";

const ready = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed") && requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

const cli = runCli;

/** What the engine lacks for each example today (issue 4 adds them one by one). */
const REFUSED: Record<string, RegExp> = {
};

describe.skipIf(!ready)("examples on the FPGA engine (requires: clang, verilator)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-fpga-ex-"));
  for (const name of ["loadbalancer", "firewall", "router", "counter", "vlan"]) {
    it(name, async () => {
      const obj = clangBuild(exampleSource(name), dir, name);
      const build = await cli(["build", obj, "--target", "fpga", "-o", `${name}-bundle`], dir);
      if (REFUSED[name]) {
        expect(build.code).toBe(1);
        expect(build.stderr).toMatch(REFUSED[name]!);
        return;
      }
      expect(build.stderr).toBe("");
      const ex = join(REPO, "examples", name);
      const args = (target: string) => ["run", obj, "--target", target, "--pcap", join(ex, "packets.pcap"), "--maps-in", join(ex, "maps.json"), "--out", `${name}.${target}.pcap`, "--maps-out", `${name}.${target}.json`];
      const interp = await cli(args("interp"), dir);
      const fpga = await cli(args("fpga"), dir);
      expect(fpga).toEqual(interp);
      expect(readFileSync(join(dir, `${name}.fpga.pcap`))).toEqual(readFileSync(join(dir, `${name}.interp.pcap`)));
      expect(readFileSync(join(dir, `${name}.fpga.json`), "utf8")).toBe(readFileSync(join(dir, `${name}.interp.json`), "utf8"));
      // The bundle itself (compiled through the IR) on its simulator: the same verdicts, packets and maps.
      const sim = await cli(["sim", `${name}-bundle`, "--pcap", join(ex, "packets.pcap"), "--maps-in", join(ex, "maps.json"), "--out", `${name}.sim.pcap`, "--maps-out", `${name}.sim.json`], dir);
      expect(sim.code, sim.stderr).toBe(0);
      expect(sim.stdout).toBe(interp.stdout);
      expect(sim.stderr).toMatch(/^fpga: packet 1: \d+ cycles, \d+ instructions retired\n/);
      expect(readFileSync(join(dir, `${name}.sim.pcap`))).toEqual(readFileSync(join(dir, `${name}.interp.pcap`)));
      expect(readFileSync(join(dir, `${name}.sim.json`), "utf8")).toBe(readFileSync(join(dir, `${name}.interp.json`), "utf8"));
    });
  }
  it("sim refuses a folder that is not a bundle", async () => {
    const bad = await cli(["sim", dir, "--pcap", "x.pcap"], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bpfoff: error: .*not a bpfoff bundle/);
  });
});
