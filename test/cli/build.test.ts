// `bpfoff build` in-process: bundles for the examples and assembled programs, their
// contents checked against the loader and the map image decoder; determinism and
// --check; error paths that leave nothing half-written.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { loadElf } from "../../frontends/bpf/elf/load.js";
import { decodeMapImage } from "../../runtime/maps/image.js";
import { createMap } from "../../runtime/maps/index.js";
import { loadMapsState } from "../../runtime/maps/state.js";
import { readBundleDir } from "../../backends/common/bundle.js";
import { manifestProblems, sha256Hex } from "../../backends/common/manifest.js";
import { IN_CI } from "../support/requires.js";
import { REPO } from "../support/conformance.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../runtime/interp/run.js";
import { formatMapsState } from "../../runtime/maps/state.js";
import { readPcap } from "../../runtime/packet/pcap.js";
import { clangBuild, clangMissing, EXAMPLES, exampleSource } from "../backends/bpf/support.js";
import { runCli } from "../support/cli.js";

const root = mkdtempSync(join(tmpdir(), "bpfoff-build-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const workdir = (files: Record<string, string | Uint8Array> = {}) => {
  const dir = join(root, `w${n++}`);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
};

const cli = runCli;

/** Counts packets per first byte in an array map, with a subprogram and stack use (the golden bundle's input). */
const COUNTER = readFileSync(join(REPO, "test/backends/bpf/golden/counter.s"), "utf8");
/** Global data in .data, .rodata and .bss (test/frontends/elf/fixtures/globals.c without bpf_printk, which bpfoff does not model). */
const GLOBALS_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
int counter = 42;
const volatile __u32 threshold = 100;
__u64 total;
SEC("xdp")
int xdp_globals(struct xdp_md *ctx) {
  counter++;
  total += ctx->ingress_ifindex;
  return ctx->rx_queue_index > threshold ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
/** A raw program the verifier accepts: it proves the input holds 4 bytes before reading them. */
const RAW = "mov %r0, 0\njlt %r2, 4, +2\nldxw %r0, [%r1]\nadd %r0, 1\nexit\n";

/**
 * What a program does, as lines to compare: its verdict, packet and maps on some frames
 * (an example's own pcap and maps when given), or r0 and memory on some inputs for raw.
 */
function behaviour(obj: BpfObject, type: "xdp" | "raw", example?: string): string[] {
  const maps = instantiateMaps(obj);
  if (example) loadMapsState(maps, readFileSync(join(REPO, "examples", example, "maps.json"), "utf8"), "maps.json");
  const host = newHostState();
  const frames = example
    ? readPcap(readFileSync(join(REPO, "examples", example, "packets.pcap")), example).packets.map((p) => p.data)
    : [new Uint8Array(60), new Uint8Array(60).fill(0xff), Uint8Array.from({ length: 99 }, (_, i) => i * 7), new Uint8Array(14).fill(3), new Uint8Array(60).fill(0xff)];
  const lines = frames.map((f) => {
    if (type === "raw") {
      const r = runRaw(obj, f, { maps, host });
      return `${r.r0} ${Buffer.from(r.mem).toString("hex")}`;
    }
    const r = runXdp(obj, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
    return `${r.verdict} ${r.redirect?.ifindex ?? "-"} ${Buffer.from(r.packet).toString("hex")}`;
  });
  return [...lines, formatMapsState(maps)];
}

/**
 * The bundle's invariants: every file listed once with its hash, the object loads back,
 * images decode, and the built program (compiled through the IR) behaves as the input.
 */
function checkBundle(dir: string, original?: { object: BpfObject; type: "xdp" | "raw"; example?: string }) {
  const files = readBundleDir(dir);
  const manifest = JSON.parse(Buffer.from(files.get("manifest.json")!).toString("utf8"));
  expect(manifestProblems(manifest)).toEqual([]);
  expect(manifest.target).toBe("bpf");
  const listed = manifest.files.map((f: { path: string }) => f.path);
  expect(listed).toEqual([...files.keys()].filter((p) => p !== "manifest.json"));
  for (const f of manifest.files) {
    expect(sha256Hex(files.get(f.path)!), f.path).toBe(f.sha256);
    expect(files.get(f.path)!.length).toBe(f.size);
  }
  for (const p of ["prog.o", "prog.s", "prog.llvm.s", "maps/maps.json"]) expect(files.has(p), p).toBe(true);
  const obj = loadElf(files.get("prog.o")!, "prog.o");
  expect(obj.programs).toHaveLength(1);
  expect(obj.programs[0]!.name).toBe(manifest.program.name);
  if (original) expect(behaviour(obj, original.type, original.example)).toEqual(behaviour(original.object, original.type, original.example));
  expect(manifest.resources.instructions).toBe(obj.programs[0]!.slots.length);
  // Images hold the maps the object declares; maps.json loaded into fresh maps gives the images' state.
  const fresh = obj.maps.map((d) => createMap(d));
  loadMapsState(fresh, Buffer.from(files.get("maps/maps.json")!).toString("utf8"), "maps.json");
  manifest.maps.forEach((m: { name: string; image: string }, i: number) => {
    const image = decodeMapImage(files.get(m.image)!, m.image);
    expect(image.def).toEqual(obj.maps[i]);
    expect([...image.entries()]).toEqual([...fresh[i]!.entries()]);
  });
  return { files, manifest, obj };
}

describe("bpfoff build --target bpf", () => {
  it("an assembled XDP program: the bundle's files, resources and entry point", async () => {
    const dir = workdir({ "counter.s": COUNTER });
    const r = await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "out"], dir);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const { files, manifest, obj } = checkBundle(join(dir, "out"), { object: assemble(COUNTER, "counter.s"), type: "xdp" });
    expect([...files.keys()]).toEqual(["manifest.json", "maps/hits.img", "maps/maps.json", "prog.llvm.s", "prog.o", "prog.s"]);
    expect(manifest.program).toEqual({ name: "main", section: "xdp", type: "xdp" });
    expect(manifest.input).toEqual({ name: "counter.s", sha256: sha256Hex(COUNTER) });
    // Through the IR: the subprogram is inlined and the array lookup kept as a helper call.
    expect(manifest.resources).toEqual({ instructions: obj.programs[0]!.slots.length, stack_bytes: 8, subprograms: 0, helpers: [1], maps: 1 });
    expect(manifest.entry_points).toEqual([{ name: "main", file: "prog.o", section: "xdp", symbol: "main", offset: 0 }]);
    expect(manifest.context.fields.map((f: { name: string; offset: number }) => `${f.name}@${f.offset}`)).toEqual(["data@0", "data_end@4", "data_meta@8", "ingress_ifindex@12", "rx_queue_index@16", "egress_ifindex@20"]);
    // prog.s re-assembles to the program in prog.o.
    const again = assemble(Buffer.from(files.get("prog.s")!).toString("utf8"), "prog.s");
    expect(again.programs[0]!.slots).toEqual(obj.programs[0]!.slots);
    expect(again.maps).toEqual(assemble(COUNTER, "c.s").maps);
  });

  it("a raw program: its own section and the r1/r2 context", async () => {
    const dir = workdir({ "inc.s": RAW });
    expect((await cli(["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "b"], dir)).code).toBe(0);
    const { manifest } = checkBundle(join(dir, "b"), { object: assemble(RAW, "inc.s"), type: "raw" });
    expect(manifest.program).toEqual({ name: "main", section: "raw", type: "raw" });
    expect(manifest.context).toEqual({ type: "raw", registers: { r1: "pointer to a copy of the input memory", r2: "length of the input memory in bytes" } });
    expect(manifest.maps).toEqual([]);
  });

  if (clangMissing && IN_CI) it("requires clang", () => expect.fail(`${clangMissing}, and CI=true requires it`));
  for (const example of EXAMPLES) {
    it.skipIf(clangMissing !== undefined)(`examples/${example} (requires: clang)${clangMissing ? ` — skipped: ${clangMissing}` : ""}`, async () => {
      const dir = workdir();
      const obj = clangBuild(exampleSource(example), dir, "prog");
      const r = await cli(["build", obj, "--target", "bpf", "-o", "bundle"], dir);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const input = loadElf(readFileSync(obj), obj);
      const { manifest } = checkBundle(join(dir, "bundle"), { object: input, type: "xdp", example });
      expect(manifest.input.name).toBe("prog.o"); // the base name: no absolute paths
      expect(manifest.maps.map((m: { name: string }) => m.name)).toEqual(input.maps.map((m) => m.name));
    });
  }

  it.skipIf(clangMissing !== undefined)("global data: one image per section, initial values in maps.json (requires: clang)", async () => {
    const dir = workdir({ "globals.c": GLOBALS_C });
    const obj = clangBuild(join(dir, "globals.c"), dir);
    const r = await cli(["build", obj, "--target", "bpf", "-o", "g"], dir);
    expect(r.stderr).toBe("");
    const { files, manifest } = checkBundle(join(dir, "g"), { object: loadElf(readFileSync(obj), obj), type: "xdp" });
    expect(manifest.maps.map((m: { image: string; global_data: boolean }) => [m.image, m.global_data])).toEqual([
      ["maps/data.img", true],
      ["maps/rodata.img", true],
      ["maps/bss.img", true],
    ]);
    const state = JSON.parse(Buffer.from(files.get("maps/maps.json")!).toString("utf8"));
    expect(state[".data"][0].value.slice(0, 4)).toEqual(["0x2a", "0x00", "0x00", "0x00"]);
    expect(state[".bss"]).toEqual([]);
  });
});

describe("determinism and --check", () => {
  it("two builds are byte-identical, and --check passes on the second", async () => {
    const dir = workdir({ "counter.s": COUNTER });
    await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "one"], dir);
    await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "two"], dir);
    const one = readBundleDir(join(dir, "one"));
    const two = readBundleDir(join(dir, "two"));
    expect([...two.keys()]).toEqual([...one.keys()]);
    for (const [p, b] of one) expect(Buffer.from(two.get(p)!).equals(Buffer.from(b)), p).toBe(true);
    const r = await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "two", "--check"], dir);
    expect(r).toEqual({ code: 0, stdout: "two: up to date (6 files)\n", stderr: "" });
    // Rebuilding over an existing bundle replaces it and leaves no temporary folders.
    expect((await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "two"], dir)).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["counter.s", "one", "two"]);
  });

  it("--check fails with exit 1 on a modified, a missing and an extra file, names them and diffs the text", async () => {
    const dir = workdir({ "counter.s": COUNTER });
    await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "b"], dir);
    const listing = join(dir, "b", "prog.s");
    writeFileSync(listing, readFileSync(listing, "utf8").replace("and %r1, 3", "and %r1, 7"));
    rmSync(join(dir, "b", "maps", "hits.img"));
    writeFileSync(join(dir, "b", "notes.txt"), "mine\n");
    const before = readBundleDir(join(dir, "b"));
    const r = await cli(["build", "counter.s", "--target", "bpf", "--type", "xdp", "-o", "b", "--check"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("missing: maps/hits.img\nextra: notes.txt\nmodified: prog.s\n");
    expect(r.stdout).toContain("--- b/prog.s\n+++ build/prog.s\n");
    expect(r.stdout).toContain("-and %r1, 7\n+and %r1, 3\n");
    expect(r.stderr).toBe("bpfoff: error: b differs from the build in 3 files: maps/hits.img, notes.txt, prog.s\n");
    // --check writes nothing.
    expect(readBundleDir(join(dir, "b"))).toEqual(before);
  });

  it("--check against a folder that does not exist lists every file as missing", async () => {
    const dir = workdir({ "inc.s": RAW });
    const r = await cli(["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "none", "--check"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^missing: manifest.json\n/);
    expect(existsSync(join(dir, "none"))).toBe(false);
  });
});

describe("build errors: one line, exit 1, nothing written", () => {
  const fails = async (files: Record<string, string>, args: string[], message: RegExp, keep: string[] = []) => {
    const dir = workdir(files);
    const r = await cli(args, dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(files), ...keep].sort());
    return dir;
  };
  it("an unknown target lists the known ones", () =>
    fails({ "inc.s": RAW }, ["build", "inc.s", "--target", "fpga2", "-o", "b"], /^bpfoff: error: unknown target 'fpga2' \(known targets: bpf, fpga, x86_64, arm64, npu, asic, asic_small\)\n$/));
  it("an assembler error", () => fails({ "bad.s": "mov %r0, 1\nfrob %r1\nexit\n" }, ["build", "bad.s", "--target", "bpf", "-o", "b"], /^bpfoff: error: bad\.s:2:1: unknown mnemonic 'frob'/));
  it("a tcam map cannot go into a kernel object", () =>
    fails({ "t.s": ".map acl tcam key=4 value=4 entries=8\nlddw %r1, map(acl)\nmov %r0, 2\nexit\n" }, ["build", "t.s", "--target", "bpf", "-o", "b"], /^bpfoff: error: target bpf does not support map 'acl' of kind tcam/));
  it("a helper the program type does not have", () => fails({ "h.s": "call 999\nexit\n" }, ["build", "h.s", "--target", "bpf", "-o", "b"], /^bpfoff: error: .*999/));
  it("C without a program", () => fails({ "p.c": "int x;\n" }, ["build", "p.c", "--target", "bpf", "-o", "b"], /^bpfoff: error: p\.c: a file without a program .* is not supported by the C frontend/));
  it("an unsafe program is refused with the verifier's reason, and nothing is written", async () => {
    // Reads the packet without checking data_end.
    const dir = await fails({ "u.s": "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nexit\n" }, ["build", "u.s", "--target", "bpf", "-o", "b"], /^bpfoff: error: u\.s: instruction 1: invalid access to packet/);
    expect(existsSync(join(dir, "b"))).toBe(false);
  });
  it("a bad --type", () => fails({ "inc.s": RAW }, ["build", "inc.s", "--target", "bpf", "--type", "tc", "-o", "b"], /^bpfoff: error: --type must be xdp or raw, not 'tc'\n$/));
  it("a folder that is not a bundle is not replaced", async () => {
    const dir = await fails({ "inc.s": RAW, "keep.txt": "x" }, ["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "."], /^bpfoff: error: cannot write bundle .*: the folder exists and is not a bpfoff bundle \(no manifest\.json\): not replacing it\n$/);
    expect(readFileSync(join(dir, "keep.txt"), "utf8")).toBe("x");
  });
  it("a failed build leaves the previous bundle as it was", async () => {
    const dir = workdir({ "inc.s": RAW });
    expect((await cli(["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "b"], dir)).code).toBe(0);
    const before = readBundleDir(join(dir, "b"));
    writeFileSync(join(dir, "inc.s"), "frob\n");
    expect((await cli(["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "b"], dir)).code).toBe(1);
    expect(readBundleDir(join(dir, "b"))).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(["b", "inc.s"]);
  });
  it("an output folder whose parent does not exist", () =>
    fails({ "inc.s": RAW }, ["build", "inc.s", "--target", "bpf", "--type", "raw", "-o", "no/such/b"], /^bpfoff: error: cannot write bundle .*no\/such\/b: ENOENT\n$/));
});
