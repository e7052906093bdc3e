// Differential: every example compiled by bpfoff's C frontend and by clang -O2 -target bpf
// gives the same verdicts, packets and maps on the example's pcap and maps.json (the
// reference interpreter runs both), and bpfoff's object passes bpfoff's verifier.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileCToObject } from "../../../cli/load.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../../runtime/maps/state.js";
import { readPcap } from "../../../runtime/packet/pcap.js";
import { verify } from "../../../verifier/verify.js";
import { clangBpf, HAS_CLANG } from "../../support/clang.js";
import { hasTool, IN_CI, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";
import { runInKernel } from "../../examples/kernel.js";
import { canonicalMaps, MODELS, runModel } from "../../examples/models.js";
import { buildExamples } from "../../examples/packets.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const EXAMPLES = ["firewall", "router", "loadbalancer", "vlan", "counter"];
const HAS_CPP = hasTool("cpp");

/** Every packet's verdict, r0, redirect and bytes, and the final maps. */
function runExample(object: BpfObject, name: string): { packets: unknown[]; maps: unknown } {
  const dir = join(ROOT, "examples", name);
  const maps = instantiateMaps(object);
  loadMapsState(maps, readFileSync(join(dir, "maps.json"), "utf8"), "maps.json");
  const host = newHostState();
  const pcap = readPcap(readFileSync(join(dir, "packets.pcap")), "packets.pcap");
  const packets = pcap.packets.map((p) => {
    const r = runXdp(object, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
    return { verdict: r.verdict, r0: r.r0, redirect: r.redirect?.ifindex, bytes: Buffer.from(r.packet).toString("hex") };
  });
  return { packets, maps: JSON.parse(formatMapsState(maps)) };
}

describe.each(EXAMPLES)("examples/%s/prog.c through the C frontend", (name) => {
  const file = join(ROOT, "examples", name, "prog.c");

  it("passes bpfoff's verifier", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const object = compileCToObject(readFileSync(file, "utf8"), file);
    expect(object.programs.map((p) => [p.name, p.section])).toEqual([[name, "xdp"]]);
    const result = verify(object, 0, { type: "xdp" });
    expect(result.ok ? [] : result.diagnostics.map((d) => d.message)).toEqual([]);
  });

  it("gives clang's verdicts, packets and maps", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "the reference object is built by clang -target bpf")) return;
    const ours = runExample(compileCToObject(readFileSync(file, "utf8"), file), name);
    const theirs = runExample(loadElf(clangBpf(file), `${name}.o`), name);
    expect(ours.packets).toEqual(theirs.packets);
    expect(ours.maps).toEqual(theirs.maps);
  });
});

// The Linux kernel as a peer (requires: kernel-bpf): bpfoff's object, written by
// `bpfoff build prog.c --target bpf`, passes the Linux verifier and gives the example
// model's verdicts, packets and maps under BPF_PROG_TEST_RUN.
describe.each(buildExamples())("examples/$name/prog.c, bpfoff's object in the Linux kernel", (example) => {
  it("loads, and agrees with the model (requires: kernel-bpf)", async (ctx) => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-c-kernel-"));
    try {
      const r = await runCli(["build", join(ROOT, "examples", example.name, "prog.c"), "--target", "bpf", "-o", "b"], dir);
      expect(r.stderr).toBe("");
      const run = runInKernel(join(dir, "b", "prog.o"), example.packets.map((p) => p.data), example.maps);
      if ("skipped" in run) {
        console.warn(`SKIPPED (requires kernel-bpf): examples/${example.name} from C: ${run.skipped}`);
        if (IN_CI && !hasTool("bpftool", ["version"])) throw new Error(`bpftool is missing under CI=true: ${run.skipped}`);
        ctx.skip();
        return;
      }
      const expected = runModel(MODELS[example.name]!, example.packets.map((p) => p.data), example.maps);
      const mismatches = run.packets.flatMap((k, i) => {
        const m = expected.results[i]!;
        return k.verdict !== m.verdict || !Buffer.from(k.packet).equals(Buffer.from(m.packet)) ? [`packet ${i} (${example.packets[i]!.why}): kernel ${k.verdict ?? k.retval}, model ${m.verdict}`] : [];
      });
      expect(mismatches).toEqual([]);
      expect(canonicalMaps(run.maps, example.arrayMaps)).toEqual(canonicalMaps(expected.maps, example.arrayMaps));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
