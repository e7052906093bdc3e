// Differential: every example compiled by bpfoff's C frontend and by clang -O2 -target bpf
// gives the same verdicts, packets and maps on the example's pcap and maps.json (the
// reference interpreter runs both), and bpfoff's object passes bpfoff's verifier.
import { readFileSync } from "node:fs";
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
import { hasTool, requireOrSkip } from "../../support/requires.js";

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
