// The CLI's error hygiene as a property (fast-check): random bytes, and valid files with
// random bytes changed or cut off, as an ELF object, a pcap, a map image, a bundle's
// manifest and map image, through the commands that read them. Whatever the input, the
// exit code is 0 or 1, stderr has no stack trace or compiler bug, a failure says
// `bpfoff: error:`, and a failed command leaves the folder as it was.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { CRASH, makeFixtures, pcap, snapshot } from "../support/bad-inputs.js";

/** Samples per property: enough to reach past the magic numbers into the parsers, on 2 shared cores (BPFOFF_FUZZ_RUNS=N for a longer hunt). */
const RUNS = Number(process.env["BPFOFF_FUZZ_RUNS"] ?? 60);

/** Random bytes, or a valid file with a few bytes overwritten and perhaps cut short. */
function damaged(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edits = fc.array(fc.record({ at: fc.nat(valid.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 });
  const mutated = fc.record({ edits, cut: fc.option(fc.nat(valid.length), { nil: undefined }) }).map(({ edits, cut }) => {
    const b = Uint8Array.from(valid);
    for (const e of edits) b[e.at] = e.byte;
    return cut === undefined ? b : b.subarray(0, cut);
  });
  return fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) }, { weight: 3, arbitrary: mutated });
}

/** Every path to a leaf of a JSON value, for replacing one field of a manifest. */
function leafPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.length ? v.flatMap((x, i) => leafPaths(x, [...at, i])) : [at];
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v as object);
    return keys.length ? keys.flatMap((k) => leafPaths((v as Record<string, unknown>)[k], [...at, k])) : [at];
  }
  return [at];
}

/** A copy of a JSON value with the value at `path` replaced (undefined: the field removed). */
function replaced(v: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) };
  const next = replaced(copy[head!], rest, value);
  if (next === undefined) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head!];
  } else copy[head!] = next;
  return copy;
}

describe("damaged inputs: exit 0 or 1, never a crash, nothing half-written", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await makeFixtures();
    const frame = (n: number) => Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + n) & 0xff);
    writeFileSync(join(dir, "three.pcap"), pcap([frame(1), frame(2), frame(3)]));
  }, 120_000);

  /** Writes the input, runs the command, checks the run; `outputs` are removed after a success. */
  async function check(inputs: Record<string, Uint8Array | string>, argv: readonly string[], outputs: readonly string[] = []): Promise<void> {
    for (const [name, data] of Object.entries(inputs)) writeFileSync(join(dir, name), data);
    const before = snapshot(dir);
    const r = await runCli(argv, dir);
    const shown = `${argv.join(" ")}\nexit ${r.code}\n${r.stderr}`;
    expect([0, 1], shown).toContain(r.code);
    expect(r.stderr, shown).not.toMatch(CRASH);
    if (r.code === 1) {
      expect(r.stderr, shown).toMatch(/^bpfoff: error: /m);
      expect(snapshot(dir), `${shown}\nthe folder changed`).toEqual(before);
    }
    for (const o of outputs) rmSync(join(dir, o), { recursive: true, force: true });
  }

  const elfCommands = fc.constantFrom<readonly string[]>(
    ["disasm", "fuzz.o"],
    ["verify", "fuzz.o"],
    ["ir", "fuzz.o"],
    ["run", "fuzz.o", "--mem", "00000000 08000000", "--max-steps", "10000"],
    ["run", "fuzz.o", "--pcap", "three.pcap", "--max-steps", "10000"],
    ["build", "fuzz.o", "--target", "bpf", "-o", "out"],
    ["build", "fuzz.o", "--target", "fpga", "-o", "out"],
    ["build", "fuzz.o", "--target", "npu", "-o", "out"],
    ["build", "fuzz.o", "--target", "x86_64", "-o", "out"],
    ["build", "fuzz.o", "--target", "arm64", "-o", "out"],
  );

  it("an ELF object", async () => {
    const elf = readFileSync(join(dir, "prog.o"));
    await fc.assert(fc.asyncProperty(damaged(elf), elfCommands, (bytes, argv) => check({ "fuzz.o": bytes }, argv, ["out"])), { numRuns: RUNS * 2 });
  }, 300_000);

  it("a pcap", async () => {
    const good = readFileSync(join(dir, "three.pcap"));
    const argv = ["run", "prog.s", "--pcap", "fuzz.pcap", "--out", "out.pcap", "--maps-out", "maps.json", "--max-steps", "10000"];
    await fc.assert(fc.asyncProperty(damaged(good), (bytes) => check({ "fuzz.pcap": bytes }, argv, ["out.pcap", "maps.json"])), { numRuns: RUNS });
  }, 300_000);

  it("a map image", async () => {
    const image = readFileSync(join(dir, "m.img"));
    const commands = fc.constantFrom<readonly string[]>(
      ["map", "dump", "fuzz.img"],
      ["map", "dump", "--json", "fuzz.img"],
      ["map", "lookup", "fuzz.img", "--key", "00000000"],
      ["map", "update", "fuzz.img", "--key", "00000000", "--value", "0000000000000000"],
      ["map", "delete", "fuzz.img", "--key", "00000000"],
    );
    await fc.assert(fc.asyncProperty(damaged(image), commands, (bytes, argv) => check({ "fuzz.img": bytes }, argv)), { numRuns: RUNS });
  }, 300_000);

  it("a bundle's manifest and map image", async () => {
    mkdirSync(join(dir, "fuzzb/maps"), { recursive: true });
    for (const line of snapshot(join(dir, "npu"))) {
      const name = line.split(" ")[0]!;
      if (!name.endsWith("/")) writeFileSync(join(dir, "fuzzb", name), readFileSync(join(dir, "npu", name)));
    }
    const manifestText = readFileSync(join(dir, "npu/manifest.json"), "utf8");
    const manifest = JSON.parse(manifestText);
    const image = `fuzzb/${manifest.maps[0].image}`;
    const goodImage = readFileSync(join(dir, "npu", manifest.maps[0].image));
    // One field of the manifest replaced by any JSON value, or removed.
    const field = fc.record({ path: fc.constantFrom(...leafPaths(manifest)), value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) })
      .map(({ path, value }) => JSON.stringify(replaced(manifest, path, value)));
    const manifestBytes = fc.oneof(field, damaged(Buffer.from(manifestText)));
    const inputs = fc.oneof(
      manifestBytes.map((m) => ({ "fuzzb/manifest.json": m, [image]: goodImage })),
      damaged(goodImage).map((b) => ({ "fuzzb/manifest.json": manifestText, [image]: b })),
    );
    const argv = ["sim", "fuzzb", "--pcap", "three.pcap", "--out", "out.pcap", "--max-steps", "10000"];
    await fc.assert(fc.asyncProperty(inputs, (files) => check(files, argv, ["out.pcap"])), { numRuns: RUNS * 2 });
  }, 300_000);
});
