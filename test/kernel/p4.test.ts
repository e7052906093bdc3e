// The P4 corpus compiled by `bpfoff build --target bpf` passes the Linux verifier and, on
// every packet of its STF file (with the STF's table entries in the maps), gives in the
// kernel (BPF_PROG_TEST_RUN) the verdict and packet the interpreter gives.
// requires: kernel-bpf (root, bpftool). Programs with ternary tables are left out: the
// kernel has no tcam map.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildInMemory } from "../../backends/common/pipeline.js";
import { loadP4, P4_PIPELINE } from "../../cli/load-p4.js";
import { encodeEntry } from "../../frontends/p4/entries.js";
import { parseStf } from "../../frontends/p4/stf.js";
import { loadElf } from "../../frontends/bpf/elf/load.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../runtime/interp/run.js";
import { writeEntry } from "../../runtime/maps/index.js";
import { mapStateToJson } from "../../runtime/maps/state.js";
import { REPO } from "../support/conformance.js";
import { hasTool, IN_CI } from "../support/requires.js";
import { runInKernel } from "../examples/kernel.js";

const CORPUS = join(REPO, "test/frontends/p4/corpus");
const PROGRAMS = ["l2_switch", "ipv4_router", "vlan_parser", "flow_stats", "ebpf_compat"];

describe("P4 corpus on the kernel (requires: kernel-bpf)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-kernel-"));
  for (const name of PROGRAMS) {
    it(name, (ctx) => {
      const file = `test/frontends/p4/corpus/${name}.p4`;
      const bytes = readFileSync(join(REPO, file));
      const { object, p4 } = loadP4(bytes, file);
      const files = buildInMemory({ object, file, bytes, target: "bpf", passes: P4_PIPELINE });
      const prog = join(dir, `${name}.o`);
      writeFileSync(prog, files.find(([path]) => path === "prog.o")![1]);
      const built = loadElf(readFileSync(prog), prog);
      // The STF's entries, in the built object's maps.
      const commands = parseStf(readFileSync(join(CORPUS, `${name}.stf`), "utf8"), `${name}.stf`);
      const maps = instantiateMaps(built);
      for (const c of commands) {
        if (c.cmd !== "add") continue;
        const { table, entries } = encodeEntry(p4.tables, c.entry);
        for (const entry of entries) expect(writeEntry(maps[built.maps.findIndex((m) => m.name === table.mapName)]!, entry)).toBe(0);
      }
      const mapsJson = Object.fromEntries(maps.map((m) => [m.def.name, mapStateToJson(m).map((e) => ({ key: e.key, value: e.value }))]));
      // BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header (EINVAL): runt
      // packets of the STF files run on the interpreter only.
      const packets = commands.flatMap((c) => (c.cmd === "packet" && c.data.length >= 14 ? [c.data] : []));
      const kernel = runInKernel(prog, packets, mapsJson);
      if ("skipped" in kernel) {
        console.warn(`SKIPPED (requires kernel-bpf): ${kernel.skipped}`);
        if (IN_CI && !hasTool("bpftool", ["version"])) throw new Error(`bpftool is missing under CI=true: ${kernel.skipped}`);
        ctx.skip();
        return;
      }
      const host = newHostState();
      packets.forEach((data, i) => {
        const r = runXdp(built, data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
        const k = kernel.packets[i]!;
        expect({ packet: i + 1, r0: k.retval, data: Buffer.from(k.packet).toString("hex") }).toEqual({ packet: i + 1, r0: Number(r.r0), data: Buffer.from(r.packet).toString("hex") });
      });
    }, 120_000);
  }
});
