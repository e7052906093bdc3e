// The deparser's ordered header list (backends/asic/compile/deparser.ts): on random outputs
// (sequences of headers drawn from a few header instances, pushed bytes and fields), emitting
// the entries each path sets valid, in list order, gives back exactly that path's output; a
// header several paths emit alike is one entry, and no two adjacent entries have the same paths.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deparserList, headersOf } from "../../../backends/asic/compile/deparser.js";
import type { DeparserConfig, StageConfig } from "../../../backends/asic/config.js";
import { runCli as cli } from "../../support/cli.js";

const ROOT = join(import.meta.dirname, "../../..");
const tmp = () => mkdtempSync(join(tmpdir(), "bpfoff-asic-deparser-"));

/** Output labels as outputPlan makes them: header bytes p:A:r, pushed bytes o:abs, table data t:T:B, field bits. */
const HEADERS: readonly (readonly string[])[] = [
  ["p:12:0", "p:12:1", "p:12:2", "p:12:3"], // an Ethernet-like header instance
  ["p:12:0", "p:12:1"], // the same instance, fewer of its bytes
  ["p:30#1:0", "p:30#1:1", "p:30#1:2"], // an unrolled header-stack entry
  ["p:30#2:0", "p:30#2:1", "p:30#2:2"],
  ["o:-4", "o:-3", "o:-2", "o:-1"], // bytes pushed in front by adjust_head
  ["t:3:0", "t:3:1"], // a table's action data
  ["x:7:0", "x:7:8"], // a temporary's bytes (a hash unit's CRC)
];

const outputArb = fc.array(fc.integer({ min: 0, max: HEADERS.length - 1 }), { maxLength: 6 }).map((hs) => {
  // consecutive repeats of one family would merge into one header; keep them apart
  const out: number[] = [];
  for (const h of hs) if (out.length === 0 || HEADERS[out.at(-1)!]![0]!.split(":")[1] !== HEADERS[h]![0]!.split(":")[1]) out.push(h);
  return out.flatMap((h) => HEADERS[h]!);
});

describe("asic deparser header list", () => {
  it("emits each path's output from the entries it sets valid, in list order", () => {
    fc.assert(
      fc.property(fc.array(outputArb, { minLength: 1, maxLength: 12 }), (emits) => {
        const list = deparserList(emits);
        emits.forEach((emit, k) => {
          const valid = list.valid[k]!;
          expect([...valid].sort((a, b) => a - b)).toEqual(valid);
          expect(new Set(valid).size).toBe(valid.length);
          expect(valid.flatMap((h) => list.headers[h]!.labels)).toEqual(emit);
        });
        const users = list.headers.map((_, h) => list.valid.flatMap((v, k) => (v.includes(h) ? [k] : [])).join(","));
        users.forEach((u, h) => h > 0 && expect(u).not.toBe(users[h - 1]));
      }),
      { numRuns: 300 },
    );
  });

  it("cuts an output into headers by family", () => {
    expect(headersOf(["o:-2", "o:-1", "p:5:0", "p:5:1", "p:9:0", "t:3:0", "x:7:0", "x:7:8"]).map((h) => [h.family, h.labels.length])).toEqual([
      ["pushed", 2],
      ["@5", 2],
      ["@9", 1],
      ["data:3", 1],
      ["x:7", 2],
    ]);
  });

  it("shares entries between paths and repeats one only when the orders disagree", () => {
    const eth = HEADERS[0]!, mpls1 = HEADERS[2]!, mpls2 = HEADERS[3]!, pushed = HEADERS[4]!;
    // no write, a pop (the second label only), a push in front of both labels, and a swap of the two labels
    const list = deparserList([[], [...eth, ...mpls2], [...eth, ...pushed, ...mpls1, ...mpls2], [...eth, ...mpls2, ...mpls1]]);
    // the pushed bytes and the first label are emitted on the same paths: one header
    expect(list.headers.map((h) => h.family)).toEqual(["@12", "pushed+@30#1", "@30#2", "@30#1"]);
    expect(list.valid).toEqual([[], [0, 2], [0, 1, 2], [0, 2, 3]]);
  });
});

describe("asic deparser in a bundle", () => {
  it("vlan_parser: each header of the list is set valid by some select_deparse action and left clear by another", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(ROOT, "test/frontends/p4/corpus/vlan_parser.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const dep = JSON.parse(readFileSync(join(dir, "asic/deparser.json"), "utf8")) as DeparserConfig;
    const { stages_used } = JSON.parse(readFileSync(join(dir, "asic/resources.json"), "utf8")) as { stages_used: number };
    const select = Array.from({ length: stages_used }, (_, s) => JSON.parse(readFileSync(join(dir, `asic/stage-${String(s).padStart(2, "0")}.json`), "utf8")) as StageConfig)
      .flatMap((st) => st.action_tables)
      .find((t) => t.name === "select_deparse")!;
    expect(dep.headers.length).toBeGreaterThan(1);
    // the value each action writes into a header's validity container (absent: the PHV's zero)
    const written = (action: (typeof select.actions)[number], c: string) => {
      const op = action.ops.find((o) => o.dst === c);
      expect(op, `${action.name} writes ${c}`).toBeDefined();
      return op!.a.reduce((acc, seg) => ("k" in seg ? acc | BigInt(seg.k) : acc), 0n);
    };
    for (const h of dep.headers) {
      const bits = select.actions.map((a) => (written(a, h.valid.c) >> BigInt(h.valid.bit)) & 1n);
      expect(bits, h.name).toContain(1n);
      expect(bits, h.name).toContain(0n);
    }
  });

  it("refuses bytes pushed in front that the program does not write, with the reason", async () => {
    const r = await cli(["build", join(ROOT, "test/backends/asic/programs/push_unwritten.c"), "--target", "asic", "-o", join(tmp(), "b")], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("deparser: 4 bytes pushed in front by adjust_head are not all written (output byte 0 is neither written nor extracted)");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
