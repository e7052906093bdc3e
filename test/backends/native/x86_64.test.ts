// x86-64 native code against the reference interpreter: the whole conformance suite
// (what the offload check refuses is listed, never run wrong).
// requires: gcc (the runtime is compiled at first use), an x86-64 host
import { describe, expect, it } from "vitest";
import { arch } from "node:os";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../../support/conformance.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { loadConformance } from "../fpga/support.js";
import { x86_64Backend } from "../../../backends/x86_64/backend.js";
import { compileX64 } from "../../../backends/x86_64/jit.js";
import type { NativeTarget } from "../../../backends/common/native-backend.js";
import { expected, runNativeRaw } from "./support.js";

const TARGET: NativeTarget = { name: "x86_64", description: x86_64Backend.description, elfMachine: 62, translate: compileX64 };
const haveGcc = requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed (apt-get install gcc)");
const onX64 = requireOrSkip("x86-64 host", arch() === "x64", `the host is ${arch()}, not x86-64`);
const haveSuite = requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is absent");

describe.skipIf(!haveGcc || !onX64 || !haveSuite)("conformance suite as x86-64 code", () => {
  const cases = conformanceFiles("tests").map((file) => parseConformance(file));
  const refused: string[] = [];
  for (const c of cases) {
    it(c.name, () => {
      const object = loadConformance(c);
      const got = runNativeRaw(TARGET, object, c.mem);
      if (got.kind === "refused") {
        refused.push(`${c.name}: ${got.why}`);
        return;
      }
      expect(got).toEqual(expected(object, c.mem));
    });
  }
  it("runs every test the offload check accepts", () => {
    console.log(`x86_64: ${cases.length - refused.length} of ${cases.length} conformance tests run natively; refused:\n  ${refused.join("\n  ")}`);
    expect(cases.length).toBe(313);
    expect(cases.length - refused.length).toBeGreaterThan(280);
  });
});
