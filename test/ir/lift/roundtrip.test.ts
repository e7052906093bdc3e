// Lift → IR text → parse → codegen: the re-emitted program behaves as the original on the
// interpreter (r0, memory, packets, maps), for the conformance suite and the examples.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { liftProgram } from "../../../ir/lift/lift.js";
import { parseIr } from "../../../ir/text/read.js";
import { printModule } from "../../../ir/text/print.js";
import { runPasses, DEFAULT_PIPELINE } from "../../../ir/passes/index.js";
import { validateModule } from "../../../ir/core/validate.js";
import { backEdges } from "../../../ir/passes/unroll.js";
import { compileModule } from "../../../backends/bpf/codegen/index.js";
import { validateSlots } from "../../../ir/bpf/codec.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../../runtime/maps/state.js";
import { readPcap } from "../../../runtime/packet/pcap.js";
import { conformanceAvailable, conformanceFiles, parseConformance, REPO } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

/** What a pipelined target runs: no back edges, branches that only compute become selects. */
const HARDWARE_PIPELINE = ["unroll", ...DEFAULT_PIPELINE, "if-convert", "simplify-cfg", "dce"];

/** Lift, print, parse back (must print the same), compile. */
export function throughIr(obj: BpfObject, type: "xdp" | "raw", passes: readonly string[] = []): BpfObject {
  const module = runPasses(liftProgram(obj, 0, type, "test"), passes);
  expect(validateModule(module)).toEqual([]);
  const text = printModule(module);
  const back = parseIr(text, "test.ir");
  expect(printModule(back)).toBe(text);
  const out = compileModule(back, { name: obj.programs[0]!.name, section: obj.programs[0]!.section, mapInit: obj.mapInit, license: obj.license });
  expect(validateSlots(out.programs[0]!.slots)).toEqual([]);
  return out;
}

const outcome = (f: () => { r0: bigint; mem: Uint8Array }) => {
  try {
    const r = f();
    return `r0=0x${r.r0.toString(16)} mem=${Buffer.from(r.mem).toString("hex")}`;
  } catch (e) {
    return `error: ${(e as Error).message.replace(/instruction \d+: /, "").replace(/0x[0-9a-f]+/g, "ADDR")}`;
  }
};

describe.skipIf(!requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent"))("conformance programs through the IR", () => {
  for (const file of conformanceFiles("tests")) {
    const c = parseConformance(file);
    it(c.name, () => {
      const obj = assemble(c.asm!, file);
      let plain: BpfObject;
      try {
        plain = throughIr(obj, "raw");
      } catch (e) {
        // Programs the IR does not cover yet (callx) say so.
        expect((e as Error).message).toMatch(/not supported/);
        return;
      }
      const optimised = throughIr(obj, "raw", DEFAULT_PIPELINE);
      const unrolled = throughIr(obj, "raw", HARDWARE_PIPELINE);
      const expected = outcome(() => runRaw(obj, c.mem));
      expect(outcome(() => runRaw(unrolled, c.mem))).toBe(expected);
      expect(outcome(() => runRaw(plain, c.mem))).toBe(expected);
      expect(outcome(() => runRaw(optimised, c.mem))).toBe(expected);
    });
  }
});

const haveClang = requireOrSkip("clang", hasTool("clang"), "clang is not installed");
describe.skipIf(!haveClang)("examples through the IR", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-ir-ex-"));
  const arch = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
  for (const name of ["firewall", "router", "loadbalancer", "vlan", "counter"]) {
    it(name, () => {
      const o = join(dir, `${name}.o`);
      const cc = spawnSync("clang", ["-O2", "-g", "-target", "bpf", `-I/usr/include/${arch}`, "-c", join(REPO, "examples", name, "prog.c"), "-o", o], { encoding: "utf8" });
      expect(cc.status, cc.stderr).toBe(0);
      const original = loadElf(readFileSync(o), o);
      const again = throughIr(original, "xdp");
      const optimised = throughIr(original, "xdp", DEFAULT_PIPELINE);
      // For targets without back edges: every example's loops have compile-time bounds.
      const unrolledModule = runPasses(liftProgram(original, 0, "xdp"), HARDWARE_PIPELINE);
      expect(unrolledModule.funcs.flatMap(backEdges)).toEqual([]);
      const unrolled = throughIr(original, "xdp", HARDWARE_PIPELINE);
      const pcap = readPcap(readFileSync(join(REPO, "examples", name, "packets.pcap")), name);
      const state = readFileSync(join(REPO, "examples", name, "maps.json"), "utf8");
      const run = (obj: BpfObject) => {
        const maps = instantiateMaps(obj);
        loadMapsState(maps, state, "maps.json");
        const host = newHostState();
        const lines = pcap.packets.map((p) => {
          const r = runXdp(obj, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
          return `${r.verdict} ${r.redirect?.ifindex ?? "-"} ${Buffer.from(r.packet).toString("hex")}`;
        });
        return [...lines, formatMapsState(maps)];
      };
      const expected = run(original);
      expect(run(again)).toEqual(expected);
      expect(run(optimised)).toEqual(expected);
      expect(run(unrolled)).toEqual(expected);
    });
  }
});
