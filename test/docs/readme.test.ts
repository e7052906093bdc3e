// The README's first command is the project's main job: it must stay true. Its bpfoff
// steps (everything after `npm run setup &&`) run here in-process, in a scratch folder
// that sees the repository's examples/, and must write what the README says they write.
// requires: cpp, verilator
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/conformance.js";
import { runCli } from "../support/cli.js";
import { hasTool, requireOrSkip } from "../support/requires.js";

const ready = requireOrSkip("verilator", hasTool("verilator"), "the main job runs the FPGA engine in Verilator") && requireOrSkip("cpp", hasTool("cpp"), "the C frontend preprocesses with the system cpp");

/** The README's first shell block: its two command lines. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block.trim().split("\n");
}

describe.skipIf(!ready)("README", () => {
  it("starts with the set-up + main job, then the test command", () => {
    const [first, second] = readmeCommands();
    expect(first).toMatch(/^npm run setup && /);
    expect(second).toBe("npm test");
  });

  it("the main job builds the load balancer for the FPGA target and runs the bundle as the interpreter does", async () => {
    const steps = readmeCommands()[0]!.split(" && ").slice(1);
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-readme-"));
    symlinkSync(join(REPO, "examples"), join(dir, "examples"));
    let last = "";
    for (const step of steps) {
      const words = step.split(/\s+/);
      expect(words.slice(0, 2), step).toEqual(["npx", "bpfoff"]);
      const r = await runCli(words.slice(2), dir);
      expect(r.code, `${step}\n${r.stderr}`).toBe(0);
      last = r.stdout;
    }
    expect(existsSync(join(dir, "lb-fpga", "manifest.json"))).toBe(true);
    expect(existsSync(join(dir, "lb-fpga", "top.v"))).toBe(true);
    const interp = await runCli(["run", "examples/loadbalancer/prog.c", "--pcap", "examples/loadbalancer/packets.pcap", "--maps-in", "examples/loadbalancer/maps.json", "--out", "i.pcap", "--maps-out", "i.json"], dir);
    expect(last).toBe(interp.stdout);
    expect(readFileSync(join(dir, "lb-out.pcap")).equals(readFileSync(join(dir, "i.pcap")))).toBe(true);
    expect(readFileSync(join(dir, "lb-maps.json"), "utf8")).toBe(readFileSync(join(dir, "i.json"), "utf8"));
  }, 600_000);
});
