// Golden bundles (STYLE.md §5): each test/backends/bpf/golden/X.s is built for
// --target bpf --type xdp and compared, file by file, with the expected bundle beside it
// in golden/X.bundle/. A mismatch prints a unified diff for text files;
// UPDATE_GOLDEN=1 rewrites the expected bundle, to be reviewed like code.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadBpf } from "../../../frontends/bpf/load.js";
import { buildInMemory } from "../../../backends/common/pipeline.js";
import { compareBundle, writeBundle } from "../../../backends/common/bundle.js";
import { isText, unifiedDiff } from "../../../cli/diff.js";

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), "golden");
const UPDATE = process.env["UPDATE_GOLDEN"] === "1";

describe("golden bundles (--target bpf)", () => {
  for (const input of readdirSync(GOLDEN).filter((f) => f.endsWith(".s")).sort()) {
    const expected = join(GOLDEN, input.replace(/\.s$/, ".bundle"));
    it(`${input}${UPDATE ? " (rewritten)" : ""}`, () => {
      const bytes = new Uint8Array(readFileSync(join(GOLDEN, input)));
      const files = buildInMemory({ object: loadBpf(bytes, input), file: input, bytes, target: "bpf", type: "xdp" });
      if (UPDATE) writeBundle(expected, files);
      expect(existsSync(expected), `${expected} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      const report = compareBundle(expected, files).map((d) => {
        const a = d.onDisk ?? new Uint8Array(0);
        const b = d.built ?? new Uint8Array(0);
        const diff = isText(a) && isText(b) ? unifiedDiff(Buffer.from(a).toString("utf8"), Buffer.from(b).toString("utf8"), `expected/${d.path}`, `built/${d.path}`) : "(binary files differ)\n";
        return `${d.status}: ${d.path}\n${diff}`;
      });
      expect(report.join(""), "the build differs from the golden bundle (UPDATE_GOLDEN=1 rewrites it)").toBe("");
    });
  }
});
