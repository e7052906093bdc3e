// The microcode listing users diff in CI (STYLE.md §5): X.s beside X.expected.lst,
// rewritten only with UPDATE_GOLDEN=1.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { expectGolden } from "../../support/golden.js";
import { runCli as cli } from "../../support/cli.js";

const DIR = new URL("./golden/", import.meta.url).pathname;

describe("microcode listings", () => {
  for (const src of readdirSync(DIR).filter((f) => f.endsWith(".s")).sort()) {
    it(src, async () => {
      const out = mkdtempSync(join(tmpdir(), "bpfoff-npu-golden-"));
      const r = await cli(["build", join(DIR, src), "--target", "npu", "-o", join(out, "b")], out);
      if (r.code !== 0) throw new Error(r.stderr);
      expectGolden(join(DIR, src.replace(/\.s$/, ".expected.lst")), readFileSync(join(out, "b/microcode.lst"), "utf8"));
    });
  }
});
