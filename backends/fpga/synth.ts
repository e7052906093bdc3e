// `bpfoff build --target fpga --synth [mapping]`: yosys on a written bundle, reporting the
// resources of the engine as configured for the program (LUTs, flip-flops, block RAMs,
// DSPs) and the logic depth of the longest path. One row per mapping says which yosys
// script maps it and how its cells are counted.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fail } from "../../ir/diag/diag.js";
import { MANIFEST_FILE, type BundleFile } from "../common/bundle.js";
import { canonicalJson, checkManifest } from "../common/manifest.js";

interface Mapping {
  readonly script: string;
  readonly lut: RegExp;
  readonly ff: RegExp;
  readonly bram?: RegExp;
  readonly dsp?: RegExp;
}

export const MAPPINGS: Readonly<Record<string, Mapping>> = {
  // Generic 4-input LUTs; memories stay memories ($mem_v2), as mapping them to flip-flops
  // takes yosys minutes and says nothing about a real device.
  generic: { script: "synth -top bpfoff_top -run :fine; opt -fast -full; techmap; opt -fast; abc -fast -lut 4; opt -fast", lut: /^\$lut$/, ff: /^\$_.*DFF/ },
  ecp5: { script: "synth_ecp5 -top bpfoff_top", lut: /^LUT4$/, ff: /^TRELLIS_FF$/, bram: /^DP16KD$/, dsp: /^MULT18X18D$/ },
  ice40: { script: "synth_ice40 -top bpfoff_top", lut: /^SB_LUT4$/, ff: /^SB_DFF/, bram: /^SB_RAM40_4K/, dsp: /^SB_MAC16$/ },
  xilinx: { script: "synth_xilinx -top bpfoff_top", lut: /^LUT\d$/, ff: /^FD[A-Z]*$/, bram: /^RAMB/, dsp: /^DSP48/ },
};

export interface SynthReport {
  readonly mapping: string;
  readonly luts: number;
  readonly flipFlops: number;
  readonly blockRams: number;
  readonly dsps: number;
  readonly memories: number;
  readonly logicDepth: number;
}

/** Runs yosys over the bundle's RTL and wrapper. */
export function synthesize(bundleDir: string, mapping: string): SynthReport {
  const m = MAPPINGS[mapping];
  if (!m) return fail("cli-usage", {}, [`--synth mapping must be one of ${Object.keys(MAPPINGS).join(", ")}, not '${mapping}'`]);
  // Paths relative to the bundle: its wrapper loads prog.hex and maps/*.hex from there.
  const rtl = readdirSync(join(bundleDir, "rtl")).filter((f) => f.endsWith(".v")).sort().map((f) => `rtl/${f}`);
  const work = mkdtempSync(join(tmpdir(), "bpfoff-synth-"));
  try {
    const stat = join(work, "stat.txt");
    const ltp = join(work, "ltp.txt");
    const script = `read_verilog ${[...rtl, "top.v"].join(" ")}; ${m.script}; flatten; tee -q -o ${stat} stat; tee -q -o ${ltp} ltp -noff`;
    const r = spawnSync("yosys", ["-q", "-p", script], { cwd: bundleDir, encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.error) fail("io-read", {}, ["yosys", `${r.error.message} (apt-get install yosys)`]);
    if (r.status !== 0) fail("codegen", {}, [`yosys failed on ${bundleDir}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`]);
    const cells = new Map<string, number>();
    for (const line of readFileSync(stat, "utf8").split("\n")) {
      const c = /^\s+(\S+)\s+(\d+)$/.exec(line);
      if (c) cells.set(c[1]!, (cells.get(c[1]!) ?? 0) + Number(c[2]));
    }
    const count = (re?: RegExp) => (re ? [...cells].filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0) : 0);
    const depth = /length=(\d+)/.exec(readFileSync(ltp, "utf8"));
    return { mapping, luts: count(m.lut), flipFlops: count(m.ff), blockRams: count(m.bram), dsps: count(m.dsp), memories: count(/^\$mem/), logicDepth: depth ? Number(depth[1]) : 0 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatSynthReport(r: SynthReport): string {
  return `synth (${r.mapping}): ${r.luts} LUTs, ${r.flipFlops} flip-flops, ${r.blockRams} block RAMs, ${r.dsps} DSPs, ${r.memories} unmapped memories, logic depth ${r.logicDepth}\n`;
}

/**
 * Synthesis of a bundle still in memory (`bpfoff build --synth`): written to a scratch
 * folder, synthesised there, and the report recorded in the manifest's
 * `resources.synth.<mapping>`, so that the bundle is written once, whole, with its figures.
 */
export function synthesizeBundle(files: readonly BundleFile[], mapping: string): { files: BundleFile[]; report: SynthReport } {
  const work = mkdtempSync(join(tmpdir(), "bpfoff-bundle-"));
  let report: SynthReport;
  try {
    for (const [path, data] of files) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), data);
    }
    report = synthesize(work, mapping);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const manifest = JSON.parse(Buffer.from(files.find(([p]) => p === MANIFEST_FILE)![1]).toString("utf8")) as { resources: Record<string, unknown> };
  const synth = { ...(manifest.resources["synth"] as Record<string, unknown> | undefined), [mapping]: synthJson(report) };
  const updated = { ...manifest, resources: { ...manifest.resources, synth } };
  checkManifest(updated);
  const text = new Uint8Array(Buffer.from(canonicalJson(updated), "utf8"));
  return { files: files.map(([p, d]) => [p, p === MANIFEST_FILE ? text : d] as const), report };
}

/** A report as manifest.json records it. */
function synthJson(r: SynthReport): Record<string, number | string> {
  return { tool: yosysVersion(), luts: r.luts, flip_flops: r.flipFlops, block_rams: r.blockRams, dsps: r.dsps, unmapped_memories: r.memories, logic_depth: r.logicDepth };
}

/** "Yosys 0.23 (git sha1 ...)" without the build details, which differ between builds of one release. */
function yosysVersion(): string {
  const r = spawnSync("yosys", ["-V"], { encoding: "utf8" });
  const m = /Yosys (\S+)/.exec(r.stdout ?? "");
  return m ? `yosys ${m[1]}` : "yosys";
}
