// Code generation cases the fuzzer found, kept as programs with their expected result.
import { describe, expect, it } from "vitest";
import { compileModule } from "../../../backends/bpf/codegen/index.js";
import { parseIr } from "../../../ir/text/read.js";
import { runRaw } from "../../../runtime/interp/run.js";

const CASES: [string, string, bigint][] = [
  [
    // select's result got the register of its dying else-value: writing the then-value
    // into it first lost the else-value.
    "select into the register of its else operand",
    `module raw

func @main {
bb0(%0: ptr.mem, %1: i64):
  %28 = icmp.eq %1, 1 : i1
  br_if %28, bb19.u0(0, 0, 1), bb19.u0(1, 1, 2)
bb19.u0(%51: i64, %48: i64, %49: i64):
  store.u64 mem, %0, 0, %48
  %45 = add %51, %51 : i64
  %53 = icmp.eq %1, %49 : i1
  %58 = add %45, 1 : i64
  %59 = add %48, 1 : i64
  %67 = select %53, %45, %58 : i64
  %68 = select %53, %48, %59 : i64
  store.u64 mem, %0, 0, %68
  %62 = add %67, %67 : i64
  ret %62
}
`,
    6n,
  ],
];

describe("codegen regressions", () => {
  for (const [name, ir, r0] of CASES) {
    it(name, () => {
      const obj = compileModule(parseIr(ir, `${name}.ir`), { name: "main", section: "", mapInit: new Map(), license: "" });
      expect(runRaw(obj, new Uint8Array(16)).r0).toBe(r0);
    });
  }
});

describe("blocks that only return", () => {
  // Every edge into `reject` returns in place, so the block itself would be dead code
  // after the last block that falls into something else: the verifier refuses
  // unreachable instructions, so codegen leaves it out (found by the P4 frontend).
  it("are not emitted when nothing falls into them", async () => {
    const { verify } = await import("../../../verifier/verify.js");
    const ir = `module raw

func @main {
bb0(%0: ptr.mem, %1: i64):
  %2 = icmp.eq %1, 0 : i1
  br_if %2, reject, bb1
bb1:
  %3 = icmp.ugt %1, 8 : i1
  br_if %3, reject, bb2
bb2:
  ret %1
reject:
  ret 1
}
`;
    const obj = compileModule(parseIr(ir, "ret-only.ir"), { name: "main", section: "", mapInit: new Map(), license: "" });
    expect(verify(obj, 0, { type: "raw" }).ok).toBe(true);
    expect(runRaw(obj, new Uint8Array(0)).r0).toBe(1n);
    expect(runRaw(obj, new Uint8Array(4)).r0).toBe(4n);
    expect(runRaw(obj, new Uint8Array(12)).r0).toBe(1n);
  });
});
