// Generated programs (test/support/gen.ts) on the NPU against the interpreter: every
// program the verifier accepts gives the same r0 and memory (raw) or the same verdict,
// packet and maps (XDP, a stream of packets, maps carried over); also with the naive
// pair-for-everything translation and with scheduling off, which must not change meaning.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { verify } from "../../../verifier/verify.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { compileForNpu, moduleOf, npuDescriptor, simulate } from "../../../backends/npu/backend.js";
import { rawProgram, xdpProgram } from "../../support/gen.js";
import { hex } from "../fpga/support.js";
import { runOnNpu } from "./support.js";

const accepted = (o: BpfObject, type: "raw" | "xdp") => verify(o, 0, { type }).ok;

function interp<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof DiagnosticError) return { error: e.diagnostics[0]!.code };
    throw e;
  }
}

const frames = fc.array(fc.uint8Array({ minLength: 0, maxLength: 48 }), { minLength: 1, maxLength: 4 });

describe("generated programs on the NPU", () => {
  it("raw programs: r0 and memory as the interpreter's", () => {
    let ran = 0;
    fc.assert(fc.property(rawProgram, fc.uint8Array({ minLength: 0, maxLength: 32 }), (text, mem) => {
      const object = assemble(text, "gen.s");
      if (!accepted(object, "raw")) return;
      const want = interp(() => runRaw(object, mem));
      if ("error" in want) return;
      for (const opts of [{}, { pairs: true }, { noSchedule: true }]) {
        const got = runOnNpu(object, mem, opts);
        expect(got.kind === "done" ? "done" : JSON.stringify(got)).toBe("done");
        if (got.kind !== "done") return;
        expect("0x" + got.r0.toString(16)).toBe("0x" + want.r0.toString(16));
        expect(hex(got.mem)).toBe(hex(want.mem));
      }
      ran++;
    }), { numRuns: 150, seed: 9 });
    expect(ran).toBeGreaterThan(30);
  });

  it("XDP programs over packet streams: verdicts, packets and maps as the interpreter's, with 1 and with 8 threads", () => {
    let ran = 0;
    const d = npuDescriptor();
    fc.assert(fc.property(xdpProgram, frames, (text, packets) => {
      const object = assemble(text, "gen.s");
      if (!accepted(object, "xdp")) return;
      const maps = instantiateMaps(object);
      const host = newHostState();
      const want = interp(() => packets.map((p) => runXdp(object, p, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 })));
      if ("error" in want) return;
      const code = compileForNpu(moduleOf(object, 0, "xdp"), d);
      for (const threads of [1, 8]) {
        const npuMaps = instantiateMaps(object);
        const run = simulate(code.words, npuMaps, packets.map((frame) => ({ kind: "xdp" as const, frame, ifindex: 1 })), d, { engines: 1, threads, maxCycles: 10_000_000 });
        run.results.forEach((r, i) => {
          expect("0x" + r.r0.toString(16)).toBe("0x" + want[i]!.r0.toString(16));
          expect(hex(r.data)).toBe(hex(want[i]!.packet));
        });
        expect(formatMapsState(npuMaps)).toBe(formatMapsState(maps));
      }
      ran++;
    }), { numRuns: 100, seed: 11 });
    expect(ran).toBeGreaterThan(20);
  });
});
