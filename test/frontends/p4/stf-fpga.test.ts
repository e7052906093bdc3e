// `bpfoff test --target fpga`: the STF tests of the ebpf_model corpus programs on the FPGA
// engine in Verilator, with the interpreter's results (STYLE.md §7). The xdp_model programs
// need bpf_xdp_adjust_head and bpf_redirect, which the engine does not have: refused by name.
// requires: verilator
import { describe, expect, it } from "vitest";
import { REPO } from "../../support/conformance.js";
import { runCli } from "../../support/cli.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const stf = (p: string, target: string) => runCli(["test", `test/frontends/p4/corpus/${p}.p4`, "--stf", `test/frontends/p4/corpus/${p}.stf`, "--target", target], REPO);

describe.skipIf(!haveVerilator)("P4 STF tests on the FPGA engine", () => {
  for (const p of ["l2_switch", "ebpf_compat"]) {
    it(p, async () => {
      const r = await stf(p, "fpga");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/met on fpga\n$/);
    }, 300_000);
  }

  it("an xdp_model program: the engine's missing helpers are named", async () => {
    const r = await stf("ipv4_router", "fpga");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("target fpga does not support helper xdp_adjust_head (44)");
  }, 300_000);
});
