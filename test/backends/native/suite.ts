// The differential suite every native target runs (STYLE.md §7): the conformance suite
// (what the offload check refuses is listed, never run wrong) and fast-check generated
// raw and XDP programs, each against the reference interpreter.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { requireOrSkip } from "../../support/requires.js";
import { rawProgram, xdpProgram } from "../../support/gen.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { verify } from "../../../verifier/verify.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { loadConformance } from "../fpga/support.js";
import { expected, expectedXdp, runNativeRaw, runNativeXdp } from "./support.js";

/**
 * Map programs the generator does not write: a hash map filled past max_entries with
 * deletes between (tombstones, -E2BIG, re-insertion order), an LRU map evicting, an LPM
 * trie matching prefixes, and update flags. Their final maps are compared too.
 */
const MAP_PROGRAMS: readonly (readonly [string, string])[] = [
  ["hash: insert, delete, refill, flags", `
.map h hash key=4 value=8 entries=8
  mov %r6, 0
  mov %r9, 0
loop:
  jge %r6, 40, done
  mov %r7, %r6
  mul %r7, 7
  and %r7, 15
  stxw [%r10-4], %r7
  stxdw [%r10-16], %r6
  lddw %r1, map(h)
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -16
  mov %r4, %r6
  and %r4, 1
  call 2
  add %r9, %r0
  mov %r7, %r6
  and %r7, 3
  jne %r7, 3, next
  lddw %r1, map(h)
  mov %r2, %r10
  add %r2, -4
  call 3
  add %r9, %r0
next:
  add %r6, 1
  ja loop
done:
  mov %r0, %r9
  exit`],
  ["lru_hash: eviction order", `
.map l lru_hash key=4 value=4 entries=4
  mov %r6, 0
loop:
  jge %r6, 12, done
  mov %r7, %r6
  mod %r7, 6
  stxw [%r10-4], %r7
  stxw [%r10-8], %r6
  lddw %r1, map(l)
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -8
  mov %r4, 0
  call 2
  stw [%r10-4], 1
  lddw %r1, map(l)
  mov %r2, %r10
  add %r2, -4
  call 1
  add %r6, 1
  ja loop
done:
  mov %r0, 0
  exit`],
  ["lpm_trie: longest prefix", `
.map t lpm_trie key=8 value=4 entries=8 flags=1
  stw [%r10-8], 8
  stw [%r10-4], 10
  stw [%r10-12], 1
  lddw %r1, map(t)
  mov %r2, %r10
  add %r2, -8
  mov %r3, %r10
  add %r3, -12
  mov %r4, 0
  call 2
  stw [%r10-8], 24
  stw [%r10-4], 0x20010a
  stw [%r10-12], 2
  lddw %r1, map(t)
  mov %r2, %r10
  add %r2, -8
  mov %r3, %r10
  add %r3, -12
  mov %r4, 0
  call 2
  stw [%r10-8], 32
  stw [%r10-4], 0x7020010a
  lddw %r1, map(t)
  mov %r2, %r10
  add %r2, -8
  call 1
  mov %r6, 0
  jeq %r0, 0, miss
  ldxw %r6, [%r0+0]
miss:
  stw [%r10-4], 0x7030010a
  lddw %r1, map(t)
  mov %r2, %r10
  add %r2, -8
  call 1
  jeq %r0, 0, out
  ldxw %r0, [%r0+0]
  lsh %r0, 8
  or %r6, %r0
out:
  mov %r0, %r6
  exit`],
];

export function nativeSuite(target: NativeTarget, ready: boolean, runs: number): void {
  const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

  describe.skipIf(!ready || !haveSuite)(`conformance suite as ${target.name} code`, () => {
    const cases = conformanceFiles("tests").map((file) => parseConformance(file));
    const refused: string[] = [];
    for (const c of cases) {
      it(c.name, () => {
        const object = loadConformance(c);
        const got = runNativeRaw(target, object, c.mem);
        if (got.kind === "refused") {
          refused.push(`${c.name}: ${got.why}`);
          return;
        }
        expect(got).toEqual(expected(object, c.mem));
      });
    }
    it("runs every test the offload check accepts", () => {
      console.log(`${target.name}: ${cases.length - refused.length} of ${cases.length} conformance tests run natively; refused:\n  ${refused.join("\n  ")}`);
      expect(cases.length).toBe(313);
      expect(cases.length - refused.length).toBeGreaterThan(300);
    });
  });

  describe.skipIf(!ready)(`map semantics in ${target.name} code`, () => {
    for (const [name, text] of MAP_PROGRAMS) {
      it(name, () => {
        const object = assemble(text, `${name}.s`);
        const mem = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
        const got = runNativeRaw(target, object, mem);
        expect(got).toEqual(expected(object, mem));
      });
    }
  });

  describe.skipIf(!ready)(`generated programs as ${target.name} code`, () => {
    it("raw programs match the interpreter (r0, memory, faults)", () => {
      fc.assert(fc.property(rawProgram, fc.uint8Array({ minLength: 0, maxLength: 40 }), (text, mem) => {
        const object = assemble(text, "gen.s");
        const got = runNativeRaw(target, object, mem);
        expect(got.kind).not.toBe("refused");
        expect(got).toEqual(expected(object, mem));
      }), { numRuns: runs, seed: 6006 });
    });

    it("XDP programs match the interpreter (verdicts, packets, maps, faults)", () => {
      let accepted = 0;
      fc.assert(fc.property(xdpProgram, fc.array(fc.uint8Array({ minLength: 14, maxLength: 80 }), { minLength: 1, maxLength: 3 }), (text, frames) => {
        const object = assemble(text, "gen.s");
        const got = runNativeXdp(target, object, frames);
        expect(got.kind).not.toBe("refused");
        // Pointer values differ between the interpreter's address space and the host's: a
        // program the verifier rejects may return one (r0 = data + 2), so those only have to
        // run without harm; the accepted ones must give the interpreter's results exactly.
        if (verify(object, 0, { type: "xdp" }).ok) {
          accepted++;
          expect(got).toEqual(expectedXdp(object, frames));
        }
      }), { numRuns: runs, seed: 6007 });
      expect(accepted).toBeGreaterThan(runs / 5);
    });
  });
}
