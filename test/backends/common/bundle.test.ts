// Bundle building blocks: the manifest schema (Ajv, draft 2020-12) and its published
// copy, canonical JSON, image file names, maps.json, unified diffs, the stack estimate.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MANIFEST_SCHEMA } from "../../../backends/common/manifest-schema.js";
import { canonicalJson, checkManifest, manifestProblems } from "../../../backends/common/manifest.js";
import { formatInitialMaps, imageFileNames } from "../../../backends/common/bundle.js";
import { BPFOFF_VERSION } from "../../../backends/common/version.js";
import { lowerForTarget } from "../../../backends/common/pipeline.js";
import { BACKENDS, findBackend, targetNames } from "../../../backends/registry.js";
import { stackBytes } from "../../../backends/bpf/backend.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { createMap } from "../../../runtime/maps/index.js";
import { loadMapsState } from "../../../runtime/maps/state.js";
import { unifiedDiff } from "../../../cli/diff.js";
import { ROOT } from "../bpf/support.js";

const UPDATE = process.env["UPDATE_GOLDEN"] === "1";

/** A manifest that satisfies the schema, to break one field at a time. */
function goodManifest(): Record<string, unknown> {
  return {
    bpfoff_version: "0.1.0",
    format_version: 1,
    target: "bpf",
    program: { name: "main", section: "raw", type: "raw" },
    input: { name: "p.s", sha256: "0".repeat(64) },
    maps: [{ name: "m", kind: "array", linux_type: 2, key_size: 4, value_size: 8, max_entries: 1, flags: 0, global_data: false, image: "maps/m.img" }],
    context: { type: "raw", registers: { r1: "a", r2: "b" } },
    entry_points: [{ name: "main", file: "prog.o", section: "raw", symbol: "main", offset: 0 }],
    files: [{ path: "prog.o", sha256: "a".repeat(64), size: 10 }],
    resources: { instructions: 2, stack_bytes: 0, subprograms: 0, helpers: [], maps: 1 },
  };
}

describe("manifest.json schema", () => {
  it("accepts a good manifest", () => {
    expect(manifestProblems(goodManifest())).toEqual([]);
  });

  it.each<[string, (m: Record<string, any>) => void, RegExp]>([
    ["a missing field", (m) => delete m["files"], /must have required property 'files'/],
    ["an unknown field", (m) => (m["when"] = "today"), /must NOT have additional properties/],
    ["an absolute input path", (m) => (m["input"].name = "/home/me/p.s"), /\/input\/name must match pattern/],
    ["a bad sha256", (m) => (m["files"][0].sha256 = "xyz"), /\/files\/0\/sha256 must match pattern/],
    ["a path leaving the bundle", (m) => (m["maps"][0].image = "../m.img"), /\/maps\/0\/image must match pattern/],
    ["an unknown map kind", (m) => (m["maps"][0].kind = "ringbuf"), /\/maps\/0\/kind must be equal to one of the allowed values/],
    ["bpf resources without stack use", (m) => delete m["resources"].stack_bytes, /\/resources must have required property 'stack_bytes'/],
    ["a context of two kinds", (m) => (m["context"].size = 24), /\/context must match exactly one schema/],
  ])("rejects %s", (_, breakIt, message) => {
    const m = goodManifest();
    breakIt(m);
    expect(manifestProblems(m).join("\n")).toMatch(message);
  });

  it("a schema violation is a compiler bug (severity bug), with every problem as a note", () => {
    const m = goodManifest();
    delete m["target"];
    delete m["files"];
    let err: unknown;
    try {
      checkManifest(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics[0]!;
    expect(d.severity).toBe("bug");
    expect(d.code).toBe("build-manifest");
    expect(d.notes).toHaveLength(2);
  });

  it(`backends/common/manifest.schema.json is MANIFEST_SCHEMA written out${UPDATE ? " (rewritten)" : ""}`, () => {
    const path = join(ROOT, "backends/common/manifest.schema.json");
    const text = JSON.stringify(MANIFEST_SCHEMA, null, 2) + "\n";
    if (UPDATE) writeFileSync(path, text);
    expect(readFileSync(path, "utf8"), "stale: run with UPDATE_GOLDEN=1").toBe(text);
  });

  it("the recorded bpfoff version is package.json's", () => {
    expect(BPFOFF_VERSION).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("canonical JSON sorts keys at every level and ends in a newline", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  });
});

describe("registry and pipeline", () => {
  it("lists the bpf target; names are unique", () => {
    expect(targetNames()).toContain("bpf");
    expect(new Set(targetNames()).size).toBe(BACKENDS.length);
    expect(findBackend("bpf")?.name).toBe("bpf");
    expect(findBackend("nope")).toBeUndefined();
  });
  it("lowerForTarget compiles the chosen program through the IR and leaves the others", () => {
    const object = assemble("mov %r0, 1\nadd %r0, 2\nmov %r1, %r0\nmul %r1, 3\nmov %r0, %r1\nexit\n", "p.s");
    const other = { ...object.programs[0]!, name: "other" };
    const input = { object: { ...object, programs: [object.programs[0]!, other] }, program: 0, programType: "raw" as const, source: { name: "p.s", sha256: "0".repeat(64) } };
    const out = lowerForTarget(input);
    // Constant folding leaves r0 = 9.
    expect(out.object.programs[0]!.slots.length).toBeLessThan(object.programs[0]!.slots.length);
    expect(runRaw(out.object, undefined).r0).toBe(9n);
    expect(out.object.programs[1]).toBe(other);
  });
});

describe("map files", () => {
  it("image names drop the leading dot of global data and never collide", () => {
    expect(imageFileNames([".data", ".rodata.str1.1", "data", "a/b", "counters"])).toEqual(["maps/data.img", "maps/rodata.str1.1.img", "maps/data-2.img", "maps/a_b.img", "maps/counters.img"]);
  });
  it("maps.json lists what a fresh map lacks, and loading it gives the same maps", () => {
    const data = createMap({ name: ".data", kind: "array", keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 });
    data.update(new Uint8Array(4), Uint8Array.of(42, 0, 0, 0), 0);
    const counters = createMap({ name: "counters", kind: "array", keySize: 4, valueSize: 8, maxEntries: 64, flags: 0 });
    const text = formatInitialMaps([data, counters]);
    expect(text).toBe('{\n  ".data": [\n    {\n      "key": ["0x00", "0x00", "0x00", "0x00"],\n      "value": ["0x2a", "0x00", "0x00", "0x00"]\n    }\n  ],\n  "counters": []\n}\n');
    const fresh = [createMap(data.def), createMap(counters.def)];
    loadMapsState(fresh, text, "maps.json");
    expect([...fresh[0]!.entries()]).toEqual([...data.entries()]);
    expect([...fresh[1]!.entries()]).toEqual([...counters.entries()]);
  });
});

describe("unified diff", () => {
  it("equal texts give nothing", () => expect(unifiedDiff("a\n", "a\n", "x", "y")).toBe(""));
  it("one changed line with three lines of context", () => {
    const a = "1\n2\n3\n4\n5\n6\n7\n8\n";
    const b = "1\n2\n3\n4\nfive\n6\n7\n8\n";
    expect(unifiedDiff(a, b, "a/f", "b/f")).toBe("--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  });
  it("separate changes make separate hunks; insertions at the start", () => {
    const a = Array.from({ length: 20 }, (_, i) => `${i}`).join("\n") + "\n";
    const b = "new\n" + a.replace("15\n", "");
    expect(unifiedDiff(a, b, "a", "b")).toBe("--- a\n+++ b\n@@ -0,0 +1,4 @@\n+new\n 0\n 1\n 2\n@@ -13,7 +14,6 @@\n 12\n 13\n 14\n-15\n 16\n 17\n 18\n".replace("@@ -0,0 +1,4 @@", "@@ -1,3 +1,4 @@"));
  });
});

describe("stack estimate", () => {
  const prog = (src: string) => assemble(src, "p.s").programs[0]!;
  it.each([
    ["no stack", "mov %r0, 0\nexit", 0],
    ["a store through r10", "stxdw [%r10-16], %r1\nmov %r0, 0\nexit", 16],
    ["a pointer made from r10", "mov %r2, %r10\nadd %r2, -36\nstw [%r2+0], 1\nmov %r0, 0\nexit", 40],
    ["the deepest frame of two functions", "stxw [%r10-8], %r1\ncall local f\nexit\nf:\nstxdw [%r10-24], %r1\nmov %r0, 0\nexit", 24],
  ])("%s", (_, src, bytes) => expect(stackBytes(prog(src))).toBe(bytes));
});
