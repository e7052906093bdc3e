// `bpfoff run FILE --target fpga --mem HEX`: conformance programs on the FPGA engine in
// Verilator print exactly what `--target interp` prints (one line, r0), and the paths the
// engine cannot take yet fail with one clear line. The model is the cached one of
// backends/fpga/sim.ts (one build for every run). requires: verilator
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../support/conformance.js";
import { hasTool, requireOrSkip } from "../support/requires.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

const dir = mkdtempSync(join(tmpdir(), "bpfoff-run-fpga-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir });
  return { code, stdout, stderr };
}

/** A handful across the ISA: ALU, jumps, memory, atomics, division, local calls, input length. */
const PICKED = ["add64", "alu64-arith", "be32", "call_local", "div64-reg", "jsgt-reg", "ldxh", "stxdw", "lock_fetch_add", "mem-len", "prime", "subnet"];

describe.skipIf(!haveVerilator || !haveSuite)("bpfoff run --target fpga on conformance programs", () => {
  const cases = conformanceFiles("tests").map(parseConformance).filter((c) => PICKED.includes(c.name) && c.asm !== undefined && c.result !== undefined);
  it("finds the picked programs", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of cases) {
    it(c.name, async () => {
      writeFileSync(join(dir, `${c.name}.s`), c.asm!);
      const mem = c.mem ? ["--mem", Buffer.from(c.mem).toString("hex")] : [];
      const interp = await cli(["run", `${c.name}.s`, ...mem]);
      const fpga = await cli(["run", `${c.name}.s`, "--target", "fpga", ...mem]);
      expect(interp).toEqual({ code: 0, stdout: `0x${c.result!.toString(16)}\n`, stderr: "" });
      expect(fpga).toEqual(interp);
    });
  }
});

describe.skipIf(!haveVerilator)("bpfoff run --target fpga: other paths", () => {
  it("get_prandom_u32 gives the same numbers on both targets by default", async () => {
    writeFileSync(join(dir, "rnd.s"), "call 7\nmov %r6, %r0\ncall 7\nxor %r0, %r6\nexit\n");
    const interp = await cli(["run", "rnd.s"]);
    const fpga = await cli(["run", "rnd.s", "--target", "fpga"]);
    expect(fpga).toEqual(interp);
  });
  it("--stats puts the cycles on stderr, stdout stays one line", async () => {
    writeFileSync(join(dir, "inc.s"), "ldxw %r0, [%r1]\nadd %r0, 1\nexit\n");
    const r = await cli(["run", "inc.s", "--target", "fpga", "--mem", "01 02 00 00", "--stats"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0x202\n");
    expect(r.stderr).toMatch(/^fpga: \d+ cycles, 3 instructions retired\n$/);
  });

  it("a fault names the instruction, as the interpreter's error does", async () => {
    writeFileSync(join(dir, "oob.s"), "mov %r0, 1\nldxw %r0, [%r1+8]\nexit\n");
    const r = await cli(["run", "oob.s", "--target", "fpga", "--mem", "01 02 03 04"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("bpfoff: error: instruction 1: the fpga engine stopped: out-of-bounds access (engine error 1)\n");
  });

  it("a map helper is refused before the run", async () => {
    writeFileSync(join(dir, "map.s"), ".map m array key=4 value=8 entries=4\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 1\nmov %r0, 0\nexit\n");
    const r = await cli(["run", "map.s", "--target", "fpga"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/instruction 5: target fpga does not support helper map_lookup_elem \(1\)/);
  });
});

describe("bpfoff run --target fpga: not yet", () => {
  it("--pcap: the engine has no packet streaming yet", async () => {
    writeFileSync(join(dir, "x.s"), "mov %r0, 2\nexit\n");
    const r = await cli(["run", "x.s", "--target", "fpga", "--pcap", "in.pcap"]);
    expect(r).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^bpfoff: error: .*not yet: the engine has no packet streaming yet/) });
  });

  it("an unknown run target lists the ones that run", async () => {
    const r = await cli(["run", "x.s", "--target", "npu"]);
    expect(r.stderr).toBe("bpfoff: error: target 'npu' cannot run programs yet (available: interp, fpga)\n");
  });
});
