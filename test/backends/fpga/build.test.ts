// `bpfoff build --target fpga`: the bundle (manifest, RTL copies, ROM image, generated
// wrapper, testbench and Makefile), its lint under verilator -Wall, the generated
// testbench built once with Verilator and run on the bundle's prog.hex against the
// interpreter, refusals by the offload check, and determinism.
// requires: verilator
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundleDir } from "../../../backends/common/bundle.js";
import { manifestProblems, sha256Hex } from "../../../backends/common/manifest.js";
import { ENGINE_ROOT, rtlFiles } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { runCli } from "../../support/cli.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

const root = mkdtempSync(join(tmpdir(), "bpfoff-fpga-build-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cli = runCli;

/** Raw programs, each with inputs for the testbench: r1 = the memory, r2 = its length. */
const PROGRAMS: readonly { name: string; asm: string; mems: readonly (readonly number[])[] }[] = [
  // The verifier runs first: a raw program proves the input is long enough before reading it.
  { name: "inc", asm: "mov %r0, 0\njlt %r2, 4, +2\nldxw %r0, [%r1]\nadd %r0, 1\nexit\n", mems: [[1, 2, 0, 0], [0xff, 0xff, 0xff, 0xff], [7]] },
  {
    // The sum of the input bytes, divided by their count, a subprogram that triples it on
    // the stack, a 64-bit constant and a helper: a loop, a call, lddw, div and the stack.
    name: "mix",
    asm: `
      mov %r6, 0
      mov %r3, 0
    loop:
      jge %r3, %r2, done
      jge %r3, 64, done
      mov %r4, %r1
      add %r4, %r3
      ldxb %r5, [%r4+0]
      add %r6, %r5
      add %r3, 1
      ja loop
    done:
      jeq %r2, 0, +1
      div %r6, %r2
      mov %r1, %r6
      call local triple
      lddw %r7, 0x100000000
      add %r0, %r7
      mov %r8, %r0
      call 8
      add %r0, %r8
      exit
    triple:
      stxdw [%r10-8], %r1
      ldxdw %r0, [%r10-8]
      mul %r0, 3
      exit
    `,
    mems: [[9, 3, 7, 1, 8, 2, 6, 5], [200, 100], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255]],
  },
  { name: "long", asm: "mov %r0, 0\n" + Array.from({ length: 20 }, (_, i) => `add %r0, ${i + 1}`).join("\n") + "\nexit\n", mems: [[]] },
];

const hexLine = (bytes: readonly number[]) => bytes.map((b) => b.toString(16).padStart(2, "0")).join(" ");
const bundles = new Map<string, string>();

beforeAll(async () => {
  for (const p of PROGRAMS) {
    const dir = join(root, p.name);
    mkdirSync(dir);
    writeFileSync(join(dir, `${p.name}.s`), p.asm);
    const r = await cli(["build", `${p.name}.s`, "--target", "fpga", "--type", "raw", "-o", "out"], dir);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: "", stderr: "" });
    bundles.set(p.name, join(dir, "out"));
  }
});

describe("the fpga bundle", () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: manifest valid, every file listed, ROM sized to the program`, () => {
      const files = readBundleDir(bundles.get(p.name)!);
      const manifest = JSON.parse(Buffer.from(files.get("manifest.json")!).toString("utf8"));
      expect(manifestProblems(manifest)).toEqual([]);
      expect(manifest.target).toBe("fpga");
      expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([...files.keys()].filter((f) => f !== "manifest.json"));
      for (const f of manifest.files) expect(sha256Hex(files.get(f.path)!), f.path).toBe(f.sha256);
      const rtl = rtlFiles().map((f) => `rtl/${f.split("/").pop()}`);
      for (const path of ["prog.hex", "top.v", "tb_top.cpp", "Makefile", "maps/maps.json", ...rtl]) expect(files.has(path), path).toBe(true);
      for (const f of rtlFiles()) expect(Buffer.from(files.get(`rtl/${f.split("/").pop()}`)!).equals(readFileSync(f))).toBe(true);

      const res = manifest.resources;
      // prog.hex: one bundle of LANES slots a line; prog.bpf.hex: the BPF slots before scheduling
      const lanes = res.engine.lanes;
      expect(res.schedule.lanes).toBe(lanes);
      const romLines = Buffer.from(files.get("prog.hex")!).toString("utf8").trimEnd().split("\n");
      expect(romLines.every((l) => new RegExp(`^[0-9a-f]{${16 * lanes}}$`).test(l))).toBe(true);
      expect(res.schedule.bundles).toBe(romLines.length);
      expect(res.schedule.instructions).toBe(res.instructions);
      const bpfLines = Buffer.from(files.get("prog.bpf.hex")!).toString("utf8").trimEnd().split("\n");
      expect(res.instructions).toBe(bpfLines.length);
      expect(Buffer.from(files.get("prog.lst")!).toString("utf8").split("\n").length).toBeGreaterThan(romLines.length);
      expect(res.rom_depth).toBeGreaterThanOrEqual(res.schedule.bundles);
      expect(res.rom_depth / 2).toBeLessThan(Math.max(2, res.schedule.bundles));
      expect(2 ** res.engine.parameters.IMEM_AW).toBe(res.rom_depth);
      expect(res.engine.parameters.PKT_AW).toBe(12);
      expect(res.timing).toEqual({ clock_mhz: 156.25 });
      expect(manifest.entry_points).toEqual([{ name: "main", file: "top.v", symbol: "bpfoff_top", offset: 0 }]);
      const top = Buffer.from(files.get("top.v")!).toString("utf8");
      expect(top).toContain(`localparam integer IMEM_AW  = ${res.engine.parameters.IMEM_AW};`);
      expect(top).toContain(`localparam integer PROG_LEN = ${res.schedule.bundles};`);
      // No absolute paths in artifacts.
      for (const [path, data] of files) expect(Buffer.from(data).includes(root), path).toBe(false);
    });
  }

  it("is deterministic: a second build is byte-identical and --check passes", async () => {
    const dir = join(root, "mix");
    const again = await cli(["build", "mix.s", "--target", "fpga", "--type", "raw", "-o", "again"], dir);
    expect(again.code).toBe(0);
    const a = readBundleDir(join(dir, "out"));
    const b = readBundleDir(join(dir, "again"));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [path, data] of a) expect(Buffer.from(b.get(path)!).equals(Buffer.from(data)), path).toBe(true);
    const check = await cli(["build", "mix.s", "--target", "fpga", "--type", "raw", "-o", "out", "--check"], dir);
    expect(check).toMatchObject({ code: 0, stdout: `out: up to date (${a.size} files)\n`, stderr: "" });
  });

  it("builds array maps: maps/<name>.hex per map (rows of its slots), top.v loads them; an IPv6 LPM trie is refused", async () => {
    const dir = join(root, "maps");
    mkdirSync(dir);
    writeFileSync(join(dir, "m.s"), ".map m array key=4 value=12 entries=3\n.map n array key=4 value=8 entries=2\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 1\nmov %r0, 0\nexit\n");
    const r = await cli(["build", "m.s", "--target", "fpga", "--type", "raw", "-o", "out"], dir);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const files = readBundleDir(join(dir, "out"));
    expect(Buffer.from(files.get("maps/m.hex")!).toString("utf8")).toBe("0000000000000000\n".repeat(6));
    expect(Buffer.from(files.get("maps/n.hex")!).toString("utf8")).toBe("0000000000000000\n".repeat(2));
    const top = Buffer.from(files.get("top.v")!).toString("utf8");
    expect(top).toContain('$readmemh("maps/m.hex", map_init, 0, 5);');
    expect(top).toContain('$readmemh("maps/n.hex", map_init, 6, 7);');
    const manifest = JSON.parse(Buffer.from(files.get("manifest.json")!).toString("utf8")) as { resources: { maps: unknown[] } };
    expect(manifest.resources.maps).toEqual([
      { name: "m", file: "maps/m.hex", base: 0, slot_bytes: 16, table_word: "0x000000000034000c" },
      { name: "n", file: "maps/n.hex", base: 48, slot_bytes: 8, table_word: "0x0000300000230008" },
    ]);
    if (haveVerilator) {
      const rtl = rtlFiles().map((f) => `rtl/${f.split("/").pop()}`);
      const lint = spawnSync("verilator", ["--lint-only", "-Wall", "--top-module", "bpfoff_top", "top.v", ...rtl], { cwd: join(dir, "out"), encoding: "utf8" });
      expect(lint.stderr).toBe("");
      expect(lint.status).toBe(0);
    }
    // keys wider than the engine's three key words (IPv6 routes, 20 bytes, fit)
    writeFileSync(join(dir, "h.s"), ".map h lpm_trie key=24 value=8 entries=4\nstdw [%r10-24], 0\nstdw [%r10-16], 0\nstdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -24\nlddw %r1, map(h)\ncall 1\nmov %r0, 0\nexit\n");
    const h = await cli(["build", "h.s", "--target", "fpga", "--type", "raw", "-o", "hout"], dir);
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/target fpga does not support map 'h' with 24-byte keys \(at most 20\)/);
    expect(existsSync(join(dir, "hout"))).toBe(false);
  });

  it("builds an XDP program, and refuses bpf_csum_diff (not in the engine)", async () => {
    const dir = join(root, "xdp");
    mkdirSync(dir);
    writeFileSync(join(dir, "x.s"), "ldxw %r0, [%r1+12]\nexit\n");
    const ok = await cli(["build", "x.s", "--target", "fpga", "--type", "xdp", "-o", "out"], dir);
    expect(ok.code).toBe(0);
    // its testbench runs the frame as XDP (checked by hand: a MAC swap gives r0 = 3 and the frame swapped)
    expect(readFileSync(join(dir, "out/tb_top.cpp"), "utf8")).toContain("constexpr bool kXdp = true;");
    writeFileSync(join(dir, "csum.s"), "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 2\nexit\n");
    const r = await cli(["build", "csum.s", "--target", "fpga", "--type", "xdp", "-o", "out2"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/instruction 5: target fpga does not support helper csum_diff \(28\)/);
  });
});

describe.skipIf(!haveVerilator)("the generated RTL and testbench in Verilator", () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: top.v and rtl/ are clean under verilator --lint-only -Wall`, () => {
      const dir = bundles.get(p.name)!;
      const rtl = rtlFiles().map((f) => `rtl/${f.split("/").pop()}`);
      const r = spawnSync("verilator", ["--lint-only", "-Wall", "--top-module", "bpfoff_top", "top.v", ...rtl], { cwd: dir, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    });
  }

  /**
   * One Verilator build of the generated testbench for the whole file, cached under
   * .cache/fpga/bundle-<hash> by the compiled files (prog.hex is read at run time, so it
   * is not part of the key), built with the bundle's own Makefile.
   */
  let binary = "";
  beforeAll(() => {
    const dir = bundles.get("mix")!;
    const files = readBundleDir(dir);
    const h = createHash("sha256");
    for (const [path, data] of files) if (path !== "prog.hex" && path !== "manifest.json" && !path.startsWith("maps/")) h.update(path + "\0").update(data);
    h.update(spawnSync("verilator", ["--version"], { encoding: "utf8" }).stdout);
    const cached = join(ENGINE_ROOT, ".cache/fpga", `bundle-${h.digest("hex").slice(0, 16)}`);
    binary = join(cached, "obj_dir/Vbpfoff_top");
    if (existsSync(binary)) return;
    const work = `${cached}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    for (const [path, data] of files) {
      mkdirSync(join(work, path, ".."), { recursive: true });
      writeFileSync(join(work, path), data);
    }
    const r = spawnSync("make", ["obj_dir/Vbpfoff_top", "JOBS=2"], { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`make failed: ${r.stderr.slice(0, 5000)}`);
    rmSync(cached, { recursive: true, force: true });
    renameSync(work, cached);
  });

  it("runs prog.hex from the bundle's folder with the interpreter's r0", () => {
    const p = PROGRAMS.find((q) => q.name === "mix")!;
    const dir = bundles.get("mix")!;
    const object = assemble(p.asm, "mix.s");
    for (const [i, mem] of p.mems.entries()) {
      const memFile = join(root, `mix-${i}.hex`);
      writeFileSync(memFile, hexLine(mem) + "\n");
      const r = spawnSync(binary, [memFile], { cwd: dir, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const m = /^status=done r0=0x([0-9a-f]+) cycles=(\d+) retired=(\d+) err=0 pc=\d+\n$/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect("0x" + m![1]).toBe("0x" + runRaw(object, Uint8Array.from(mem)).r0.toString(16));
    }
  });

  it("runs with an empty input memory (r2 = 0: the loop and the division are skipped)", () => {
    const memFile = join(root, "empty.hex");
    writeFileSync(memFile, "\n");
    const r = spawnSync(binary, [memFile], { cwd: bundles.get("mix")!, encoding: "utf8" });
    // r0 = 0 * 3 + 2**32 + 0 (get_smp_processor_id).
    expect(r.stdout).toMatch(/^status=done r0=0x100000000 /);
    expect(r.status).toBe(0);
  });
});
