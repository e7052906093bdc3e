// Every pass, text in and text out: each case under cases/ names its passes in its first
// line (`; passes: const-fold,dce`), and X.expected.ir beside X.ir is the module after them.
// The output is also valid IR and reads back to itself.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateModule } from "../../../ir/core/validate.js";
import { runPasses } from "../../../ir/passes/index.js";
import { printModule } from "../../../ir/text/print.js";
import { parseIr } from "../../../ir/text/read.js";
import { REPO } from "../../support/conformance.js";
import { expectGolden } from "../../support/golden.js";

const DIR = join(REPO, "test/ir/passes/cases");

describe("passes (golden text in, text out)", () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".ir") && !f.endsWith(".expected.ir")).sort()) {
    it(file, () => {
      const text = readFileSync(join(DIR, file), "utf8");
      const passes = /^; passes: (.*)$/m.exec(text)?.[1]?.split(",").map((s) => s.trim());
      expect(passes, `${file} must start with '; passes: ...'`).toBeDefined();
      const out = runPasses(parseIr(text, file), passes!);
      expect(validateModule(out)).toEqual([]);
      const printed = printModule(out);
      expect(printModule(parseIr(printed, file))).toBe(printed);
      expectGolden(join(DIR, file.replace(/\.ir$/, ".expected.ir")), printed);
    });
  }
});
