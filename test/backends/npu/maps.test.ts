// The lookup engine against the interpreter, one map kind at a time: hash update, lookup,
// delete and lookup again; LPM and TCAM lookups over control-plane entries (--maps-in);
// values written through the pointer a lookup returns; the final maps compared.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { compileForNpu, moduleOf, npuDescriptor, simulate } from "../../../backends/npu/backend.js";
import { instantiateMaps, runRaw } from "../../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../../runtime/maps/state.js";

const d = npuDescriptor();
const hexList = (bytes: number[]) => bytes.map((b) => `0x${b.toString(16).padStart(2, "0")}`);

/** r0 and the final maps on the interpreter and on the NPU, from the same initial state. */
function both(text: string, state: string, mem: Uint8Array) {
  const object = assemble(text, "maps.s");
  const a = instantiateMaps(object);
  const b = instantiateMaps(object);
  loadMapsState(a, state, "state.json");
  loadMapsState(b, state, "state.json");
  const want = runRaw(object, mem, { maps: a });
  const code = compileForNpu(moduleOf(object, 0, "raw"), d);
  const got = simulate(code.words, b, [{ kind: "raw", mem }], d, { engines: 1, threads: 1, maxCycles: 1e7 }).results[0]!;
  return { want: { r0: want.r0, maps: formatMapsState(a) }, got: { r0: got.r0, maps: formatMapsState(b) }, code };
}

describe("lookup engine", () => {
  it("hash: update, lookup, write through the value, delete, lookup again", () => {
    const text = `
.map h hash key=4 value=8 entries=8
  ldxw %r6, [%r1+0]
  stxw [%r10-4], %r6
  stdw [%r10-16], 0x1234
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -16
  mov %r4, 1
  lddw %r1, map(h)
  call 2
  mov %r7, %r0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(h)
  call 1
  jeq %r0, 0, miss
  ldxdw %r8, [%r0+0]
  add %r8, 5
  stxdw [%r0+0], %r8
  add %r6, 1
  stxw [%r10-4], %r6
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(h)
  call 3
  lsh %r0, 16
  add %r8, %r0
miss:
  lsh %r7, 32
  add %r8, %r7
  mov %r0, %r8
  exit
`;
    const state = JSON.stringify({ h: [{ key: hexList([8, 0, 0, 0]), value: hexList([1, 0, 0, 0, 0, 0, 0, 0]) }] });
    for (const key of [7, 8]) {
      const r = both(text, state, Uint8Array.of(key, 0, 0, 0));
      expect(r.got).toEqual(r.want);
    }
  });

  it("LPM trie and TCAM: lookups over control-plane entries", () => {
    const text = `
.map routes lpm_trie key=8 value=4 entries=16
.map acl tcam key=4 value=4 entries=16
  ldxw %r6, [%r1+0]
  stw [%r10-8], 32
  stxw [%r10-4], %r6
  mov %r2, %r10
  add %r2, -8
  lddw %r1, map(routes)
  call 1
  mov %r7, 0
  jeq %r0, 0, tcam
  ldxw %r7, [%r0+0]
tcam:
  stxw [%r10-12], %r6
  mov %r2, %r10
  add %r2, -12
  lddw %r1, map(acl)
  call 1
  mov %r8, 0
  jeq %r0, 0, out
  ldxw %r8, [%r0+0]
out:
  lsh %r8, 16
  or %r7, %r8
  mov %r0, %r7
  exit
`;
    const state = JSON.stringify({
      routes: [
        { key: hexList([16, 0, 0, 0, 10, 1, 0, 0]), value: hexList([2, 0, 0, 0]) },
        { key: hexList([24, 0, 0, 0, 10, 1, 2, 0]), value: hexList([3, 0, 0, 0]) },
      ],
      acl: [
        { key: hexList([10, 0, 0, 0]), mask: hexList([0xff, 0, 0, 0]), priority: 1, value: hexList([7, 0, 0, 0]) },
        { key: hexList([10, 1, 2, 0]), mask: hexList([0xff, 0xff, 0xff, 0]), priority: 5, value: hexList([9, 0, 0, 0]) },
      ],
    });
    for (const ip of [[10, 1, 2, 3], [10, 1, 9, 9], [10, 9, 9, 9], [192, 168, 0, 1]]) {
      const r = both(text, state, Uint8Array.from(ip));
      expect(r.got).toEqual(r.want);
    }
  });
});
