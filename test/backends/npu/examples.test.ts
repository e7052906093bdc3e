// The five XDP examples on the NPU: `bpfoff run --target npu` gives the interpreter's
// lines, packets and final maps; the built bundle on `bpfoff sim` gives them too, on one
// engine of one thread, on the descriptor's machine, and on a small one.
// requires: clang
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { clangBuild, clangMissing, exampleSource, EXAMPLES } from "../bpf/support.js";
import { REPO } from "../../support/conformance.js";
import { requireOrSkip } from "../../support/requires.js";
import { runCli as cli } from "../../support/cli.js";

const ready = requireOrSkip("clang", clangMissing === undefined, clangMissing ?? "");

describe.skipIf(!ready)("examples on the NPU (requires: clang)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-npu-ex-"));
  for (const name of EXAMPLES) {
    it(name, async () => {
      const obj = clangBuild(exampleSource(name), dir, name);
      const ex = join(REPO, "examples", name);
      const io = (tag: string) => ["--pcap", join(ex, "packets.pcap"), "--maps-in", join(ex, "maps.json"), "--out", `${name}.${tag}.pcap`, "--maps-out", `${name}.${tag}.json`];
      const same = (tag: string) => {
        expect(readFileSync(join(dir, `${name}.${tag}.pcap`))).toEqual(readFileSync(join(dir, `${name}.interp.pcap`)));
        expect(readFileSync(join(dir, `${name}.${tag}.json`), "utf8")).toBe(readFileSync(join(dir, `${name}.interp.json`), "utf8"));
      };
      const interp = await cli(["run", obj, ...io("interp")], dir);
      expect(interp.code, interp.stderr).toBe(0);
      const npu = await cli(["run", obj, "--target", "npu", ...io("npu")], dir);
      expect(npu).toEqual(interp);
      same("npu");
      const build = await cli(["build", obj, "--target", "npu", "-o", `${name}-bundle`], dir);
      expect(build.stderr).toBe("");
      for (const [tag, machine] of [["sim1", ["--engines", "1", "--threads", "1"]], ["sim", []], ["sim24", ["--engines", "2", "--threads", "4"]]] as const) {
        const sim = await cli(["sim", `${name}-bundle`, ...io(tag), ...machine], dir);
        expect(sim.code, sim.stderr).toBe(0);
        expect(sim.stdout).toBe(interp.stdout);
        expect(sim.stderr).toMatch(/^npu: packet 1: \d+ cycles, \d+ microwords issued, engine \d+ thread \d+\n/);
        expect(sim.stderr).toMatch(/\nnpu: \d+ packets on \d+ engines? x \d+ threads: \d+ cycles, [\d.]+ cycles per packet, utilisation [\d.]+%, \d+ packets\/s at 800 MHz\n$/);
        same(tag);
      }
    });
  }
});
