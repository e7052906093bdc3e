// The text a user diffs in CI (STYLE.md §5): the listing and the C header of a native
// bundle, for both targets, beside their input (golden/counter.s). UPDATE_GOLDEN=1
// rewrites them; a change in the encoders or the translation shows up here as a diff.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { buildInMemory } from "../../../backends/common/pipeline.js";
import { expectGolden } from "../../support/golden.js";
import { REPO } from "../../support/conformance.js";

const DIR = join(REPO, "test/backends/native/golden");

describe("native bundles: golden listing and header", () => {
  const text = readFileSync(join(DIR, "counter.s"), "utf8");
  const bytes = new TextEncoder().encode(text);
  for (const target of ["x86_64", "arm64"]) {
    it(target, () => {
      const files = new Map(buildInMemory({ object: assemble(text, "counter.s"), file: "counter.s", bytes, target, type: "raw" }).map(([p, d]) => [p, new TextDecoder().decode(d)]));
      expectGolden(join(DIR, `counter.${target}.lst`), files.get("prog.lst")!);
      expectGolden(join(DIR, `counter.${target}.h`), files.get("prog.h")!);
    });
  }
});
