// The verifier on its corpus: every safe program accepted, every unsafe one rejected for
// the reason its `# expect:` line names; golden logs for a few rejections
// (UPDATE_GOLDEN=1 rewrites them, a mismatch prints a unified diff); the CLI contract.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verify } from "../../verifier/verify.js";
import { renderDiagnostic } from "../../ir/diag/diag.js";
import { asmCorpus, CORPUS, loadAsmProgram } from "./corpus.js";
import { runCli } from "../support/cli.js";

const UPDATE = process.env["UPDATE_GOLDEN"] === "1";
const GOLDEN = join(CORPUS, "..", "golden");
const work = mkdtempSync(join(tmpdir(), "bpfoff-verifier-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("safe corpus: accepted", () => {
  for (const p of asmCorpus("safe")) {
    it(p.name, () => {
      const r = verify(p.object, 0, { type: p.type });
      expect(r.ok, r.ok ? "" : r.diagnostics.map((d) => renderDiagnostic(d)).join("\n")).toBe(true);
    });
  }
});

describe("unsafe corpus: rejected for the expected reason", () => {
  const programs = asmCorpus("unsafe");
  it("has at least 25 programs, each with an expectation", () => {
    expect(programs.length).toBeGreaterThanOrEqual(25);
    for (const p of programs) expect(p.expect, `${p.name} needs a '# expect:' first line`).toBeTruthy();
  });
  for (const p of programs) {
    it(p.name, () => {
      const r = verify(p.object, 0, { type: p.type });
      expect(r.ok, `${p.name} was accepted`).toBe(false);
      if (r.ok) return;
      const d = r.diagnostics[0]!;
      expect(d.message).toContain(p.expect!);
      expect(d.code).toMatch(/^verify-/);
      expect(d.loc.insn).toBe(r.path[r.path.length - 1]);
    });
  }
});

/** A unified diff of two texts, by `diff -u` (the test's readable failure). */
function unifiedDiff(expected: string, actual: string, name: string): string {
  const a = join(work, `${name}.expected`);
  const b = join(work, `${name}.actual`);
  writeFileSync(a, expected);
  writeFileSync(b, actual);
  const r = spawnSync("diff", ["-u", a, b], { encoding: "utf8" });
  return r.stdout || `(diff unavailable) expected:\n${expected}\nactual:\n${actual}`;
}

const GOLDEN_CASES = ["pkt_off_by_one", "map_no_null_check", "stack_uninit_read", "pkt_after_adjust_head", "infinite_loop"];

describe(`golden rejection logs${UPDATE ? " (rewritten)" : ""}`, () => {
  for (const name of GOLDEN_CASES) {
    it(name, () => {
      const p = loadAsmProgram(join(CORPUS, "unsafe", `${name}.s`), false);
      const r = verify(p.object, 0, { type: p.type, log: true });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const actual = `${r.log}${r.diagnostics.map((d) => renderDiagnostic(d)).join("\n")}\n`;
      const path = join(GOLDEN, `${name}.log`);
      if (UPDATE) writeFileSync(path, actual);
      expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      const expected = readFileSync(path, "utf8");
      if (expected !== actual) throw new Error(`${name}.log differs (UPDATE_GOLDEN=1 rewrites it):\n${unifiedDiff(expected, actual, name)}`);
    });
  }
});

describe("the result", () => {
  it("names the instruction, the path and the registers", () => {
    const p = loadAsmProgram(join(CORPUS, "unsafe", "pkt_off_by_one.s"), false);
    const r = verify(p.object, 0, { type: "xdp" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics[0]!.loc.insn).toBe(6);
    expect(r.path).toEqual([6]);
    expect(r.registers).toBe("R0=1 R1=ctx() R2=pkt(off=0,r=14) R3=pkt_end() R4=pkt(off=14,r=14) R10=fp0");
  });
  it("counts instructions and states", () => {
    const p = loadAsmProgram(join(CORPUS, "safe", "bounded_loop.s"), true);
    const r = verify(p.object, 0, { type: "xdp" });
    expect(r.ok && r.stats.insnsProcessed).toBeGreaterThan(30);
    expect(r.ok && r.stats.states).toBeGreaterThan(9);
  });
  it("stops at the instruction budget", () => {
    const p = loadAsmProgram(join(CORPUS, "safe", "bounded_loop.s"), true);
    const r = verify(p.object, 0, { type: "xdp", maxInsns: 20 });
    expect(!r.ok && r.diagnostics[0]!.code).toBe("verify-complexity");
  });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args, CORPUS);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("bpfoff verify", () => {
  it("accepts with a one-line summary", async () => {
    const r = await cli(["verify", "safe/pkt_bounds.s"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^accepted: \d+ instructions processed, \d+ states\n$/);
  });
  it("rejects with the instruction, the reason, the path and the registers", async () => {
    const r = await cli(["verify", "unsafe/pkt_no_check.s"]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe("bpfoff: error: unsafe/pkt_no_check.s: instruction 1: invalid access to packet, off=0 size=1, R2=pkt(off=0,r=0): R2 offset is outside of the packet (compare with data_end first)");
    expect(r.err).toContain("note: path: 1");
    expect(r.err).toContain("note: registers: R1=ctx() R2=pkt(off=0,r=0) R10=fp0");
  });
  it("--type raw and --log", async () => {
    const r = await cli(["verify", "safe/raw_length_check.s", "--type", "raw", "--log"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("0: mov %r0, 0");
    expect(r.out).toContain("from 1 to 3:");
    const x = await cli(["verify", "safe/raw_length_check.s"]);
    expect(x.code).toBe(1); // as xdp, r2 is not the length
  });
  it("refuses an unknown --type", async () => {
    const r = await cli(["verify", "safe/pkt_bounds.s", "--type", "tc"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("--type must be one of xdp, raw");
  });
});
