// Loop discovery and trip counts.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { findLoops } from "../../../ir/analysis/loops.js";
import { liftProgram } from "../../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../../ir/passes/index.js";

const loopsOf = (src: string) => findLoops(runPasses(liftProgram(assemble(src, "l.s"), 0, "raw"), DEFAULT_PIPELINE).funcs[0]!).map((l) => l.tripCount);

describe("trip counts", () => {
  it("a while loop: tested before the body", () => {
    expect(loopsOf("mov %r0, 0\nmov %r3, 0\ntop:\njge %r3, 5, out\nadd %r0, %r2\nadd %r3, 1\nja top\nout:\nexit")).toEqual([5]);
  });
  it("a do-while loop: tested after the step", () => {
    expect(loopsOf("mov %r0, 0\nmov %r9, 7\ntop:\nadd %r0, %r2\nsub %r9, 1\njne %r9, 0, top\nexit")).toEqual([7]);
  });
  it("a step of 3 and a 32-bit compare", () => {
    expect(loopsOf("mov %r0, 0\nmov %r3, 1\ntop:\njgt32 %r3, 20, out\nadd %r0, %r2\nadd %r3, 3\nja top\nout:\nexit")).toEqual([7]);
  });
  it("a bound that is only known at run time", () => {
    expect(loopsOf("mov %r0, 0\nmov %r3, 0\ntop:\njge %r3, %r2, out\nadd %r0, 1\nadd %r3, 1\nja top\nout:\nexit")).toEqual([undefined]);
  });
  it("no loop", () => {
    expect(loopsOf("mov %r0, 1\nexit")).toEqual([]);
  });
});
