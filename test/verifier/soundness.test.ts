// Soundness as a property: no program the verifier accepts faults in the reference
// interpreter, on several inputs (XDP packets of 14-64 bytes; raw memory of 0-32 bytes).
// The acceptance rate is printed: a property over only rejected programs says nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../runtime/interp/run.js";
import { verify } from "../../verifier/verify.js";
import { programText, type GenType } from "../support/gen.js";

const RUNS = 400;

function inputs(type: GenType): Uint8Array[] {
  const sizes = type === "xdp" ? [14, 15, 20, 33, 64] : [0, 1, 3, 8, 13, 32];
  return sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + k * 101 + 5) & 0xff));
}

for (const type of ["xdp", "raw"] as const) {
  describe(`${type} programs`, () => {
    it("that the verifier accepts never fault in the interpreter", () => {
      let accepted = 0;
      let total = 0;
      fc.assert(
        fc.property(programText(type), (text) => {
          total++;
          const object = assemble(text, "gen.s");
          const r = verify(object, 0, { type });
          if (!r.ok) return;
          accepted++;
          for (const input of inputs(type)) {
            const maps = instantiateMaps(object);
            try {
              if (type === "xdp") runXdp(object, input, maps, newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 }, { maxSteps: 100_000 });
              else runRaw(object, input, { maps, maxSteps: 100_000 });
            } catch (e) {
              throw new Error(`accepted program faults on a ${input.length}-byte input: ${(e as Error).message}\n${text}`);
            }
          }
        }),
        { numRuns: RUNS, seed: 20240601 },
      );
      const rate = (100 * accepted) / total;
      console.log(`soundness (${type}): ${accepted}/${total} generated programs accepted (${rate.toFixed(1)}%)`);
      expect(rate).toBeGreaterThan(20);
    });
  });
}
