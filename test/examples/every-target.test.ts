// One program, every engine (STYLE.md §7): each XDP example, compiled from its C source by
// bpfoff's own C frontend (no clang), runs over its pcap from its maps.json on the
// interpreter, the FPGA engine (Verilator), native x86-64, native AArch64 (qemu-aarch64)
// and the NPU simulator; every target prints the interpreter's lines (verdicts, redirect
// targets), writes the same packets and leaves the same maps.
// requires: cpp, verilator, gcc, qemu-aarch64, aarch64-linux-gnu-gcc
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/conformance.js";
import { runCli } from "../support/cli.js";
import { hasTool, requireOrSkip } from "../support/requires.js";

const EXAMPLES = ["firewall", "router", "loadbalancer", "vlan", "counter"];
/** Each target with the tools it runs on. */
const TARGETS: readonly (readonly [target: string, tools: readonly (readonly [string, string[]])[]])[] = [
  ["fpga", [["verilator", ["--version"]]]],
  ["x86_64", [["gcc", ["--version"]]]],
  ["arm64", [["qemu-aarch64", ["--version"]], ["aarch64-linux-gnu-gcc", ["--version"]]]],
  ["npu", []],
];

const haveCpp = requireOrSkip("cpp", hasTool("cpp"), "the C frontend preprocesses with the system cpp (apt-get install cpp)");

describe.skipIf(!haveCpp)("the examples' C on every target", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-every-"));
  for (const name of EXAMPLES) {
    const run = async (target: string) => {
      const out = join(dir, `${name}-${target}.pcap`);
      const maps = join(dir, `${name}-${target}.json`);
      const r = await runCli(["run", `examples/${name}/prog.c`, "--target", target, "--pcap", `examples/${name}/packets.pcap`, "--maps-in", `examples/${name}/maps.json`, "--out", out, "--maps-out", maps], REPO);
      expect(r.stderr, `${name} on ${target}`).toBe("");
      expect(r.code).toBe(0);
      return { lines: r.stdout, packets: readFileSync(out), maps: readFileSync(maps, "utf8") };
    };
    for (const [target, tools] of TARGETS) {
      const ready = tools.every(([tool, args]) => requireOrSkip(tool, hasTool(tool, args), `--target ${target} needs ${tool}`));
      it.skipIf(!ready)(`${name} on ${target} = on the interpreter`, async () => {
        const [want, got] = [await run("interp"), await run(target)];
        expect(got.lines).toBe(want.lines);
        expect(Buffer.compare(got.packets, want.packets)).toBe(0);
        expect(got.maps).toBe(want.maps);
      }, 600_000);
    }
  }
});
