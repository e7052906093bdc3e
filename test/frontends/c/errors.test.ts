// Error goldens (STYLE.md §5): each errors/X.c beside X.expected, the diagnostics
// `bpfoff verify X.c` prints (file:line:col, reason, caret line), exit status 1, no
// stack trace. UPDATE_GOLDEN=1 rewrites the .expected files.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { expectGolden } from "../../support/golden.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "errors");
const CASES = readdirSync(DIR).filter((f) => f.endsWith(".c")).sort();
const HAS_CPP = hasTool("cpp");

describe("C diagnostics", () => {
  it.each(CASES)("%s", async (file) => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    const r = await runCli(["verify", file], DIR);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).toMatch(new RegExp(`^bpfoff: error: ${file.replace(".", "\\.")}:\\d+:\\d+: `));
    expectGolden(join(DIR, file.replace(/\.c$/, ".expected")), r.stderr);
  });
});
