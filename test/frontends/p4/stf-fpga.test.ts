// `bpfoff test --target fpga`: the STF tests of every corpus program on the FPGA engine in
// Verilator, with the interpreter's results (STYLE.md §7): exact tables as hash maps, LPM
// as the engine's LPM unit, ternary and range as its TCAM, xdp_model's adjust_head and redirect.
// requires: verilator
import { describe, expect, it } from "vitest";
import { REPO } from "../../support/conformance.js";
import { runCli } from "../../support/cli.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const stf = (p: string, target: string) => runCli(["test", `test/frontends/p4/corpus/${p}.p4`, "--stf", `test/frontends/p4/corpus/${p}.stf`, "--target", target], REPO);

describe.skipIf(!haveVerilator)("P4 STF tests on the FPGA engine", () => {
  for (const p of ["l2_switch", "ebpf_compat", "ipv4_router", "acl", "vlan_parser", "flow_stats", "port_ranges", "mpls_stack", "ipv4_options", "value_sets"]) {
    it(p, async () => {
      const r = await stf(p, "fpga");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/met on fpga\n$/);
    }, 300_000);
  }
});
