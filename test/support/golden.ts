// Golden files (STYLE.md §5): expected output beside its input, rewritten only with
// UPDATE_GOLDEN=1; a mismatch fails with a unified diff.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { expect } from "vitest";

export const UPDATE_GOLDEN = process.env["UPDATE_GOLDEN"] === "1";

export function expectGolden(path: string, actual: string): void {
  if (UPDATE_GOLDEN) {
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`${path} does not exist: run with UPDATE_GOLDEN=1 to create it, then review it`);
  const expected = readFileSync(path, "utf8");
  if (expected === actual) return;
  const tmp = join(mkdtempSync(join(tmpdir(), "bpfoff-golden-")), basename(path));
  writeFileSync(tmp, actual);
  const d = spawnSync("diff", ["-u", "--label", `${path} (expected)`, "--label", "actual", path, tmp], { encoding: "utf8" });
  expect.fail(`golden mismatch (UPDATE_GOLDEN=1 rewrites it):\n${d.stdout || "(diff unavailable)"}`);
}
