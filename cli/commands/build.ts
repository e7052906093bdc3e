// `bpfoff build FILE --target T -o DIR`: compile one program into a bundle
// (backends/common/bundle.ts): manifest.json, the target's files, maps/. The bundle is
// written whole or not at all. With --check nothing is written: the build is compared
// with DIR file by file, exit 0 when identical, 1 with the differing files and a short
// unified diff of each text file (for CI that keeps generated configs checked in).
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { entriesForMaps, isP4File, loadP4, loadProgramFile, P4_PIPELINE } from "../load-p4.js";
import { fail } from "../../ir/diag/diag.js";
import { targetNames } from "../../backends/registry.js";
import { buildInMemory, type ProgramType } from "../../backends/common/pipeline.js";
import { formatSynthReport, MAPPINGS, synthesizeBundle } from "../../backends/fpga/synth.js";
import { compareBundle, writeBundle, type BundleDifference } from "../../backends/common/bundle.js";
import { isText, unifiedDiff } from "../diff.js";
import { readInput, readText, type CliContext } from "../io.js";

interface BuildOpts {
  target: string;
  output: string;
  program?: string;
  type?: string;
  check?: boolean;
  synth?: string | boolean;
  entries?: string;
}

const PROGRAM_TYPES: readonly ProgramType[] = ["xdp", "raw"];
/** Lines of unified diff shown per file by --check. */
const DIFF_LINES = 40;

export function registerBuild(program: Command, ctx: CliContext): void {
  program
    .command("build")
    .description("compile a program for a target into a bundle: manifest.json, the target's files, maps/")
    .argument("<file>", "program: C source (.c), P4-16 source (.p4), assembler text (.s) or ELF object (.o)")
    .requiredOption("--target <target>", `target to compile for (${targetNames().join(", ")})`)
    .requiredOption("-o, --output <dir>", "bundle folder, replaced whole once the build has succeeded")
    .option("--program <name>", "program (function or section name) in an object with several")
    .option("--type <type>", `program type (${PROGRAM_TYPES.join(", ")}); default: from the ELF section, xdp for assembler text`)
    .option("--entries <file>", "P4: table entries (JSON, P4Runtime-style) written into the bundle's map images")
    .option("--check", "write nothing: compare the build with the bundle in --output, exit 1 listing the files that differ")
    .option("--synth [mapping]", `fpga: run yosys on the bundle and report resources (${Object.keys(MAPPINGS).join(", ")}; default generic)`)
    .action((file: string, opts: BuildOpts) => buildCommand(ctx, file, opts));
}

function buildCommand(ctx: CliContext, file: string, opts: BuildOpts): void {
  const known = targetNames();
  if (!known.includes(opts.target)) fail("build-target", {}, [opts.target, known.join(", ")]);
  if (opts.type !== undefined && !(PROGRAM_TYPES as readonly string[]).includes(opts.type)) fail("cli-usage", {}, [`--type must be ${PROGRAM_TYPES.join(" or ")}, not '${opts.type}'`]);
  const mapping = opts.synth === undefined ? undefined : opts.synth === true ? "generic" : String(opts.synth);
  if (mapping !== undefined && (opts.target !== "fpga" || opts.check)) fail("cli-usage", {}, ["--synth goes with --target fpga, without --check"]);
  if (mapping !== undefined && !MAPPINGS[mapping]) fail("cli-usage", {}, [`--synth mapping must be one of ${Object.keys(MAPPINGS).join(", ")}, not '${mapping}'`]);
  const bytes = readInput(resolve(ctx.io.cwd, file));
  if (opts.entries && !isP4File(file)) fail("cli-usage", {}, ["--entries gives P4 table entries: it goes with a .p4 program"]);
  const p4 = isP4File(file) ? loadP4(bytes, file) : undefined;
  const object = p4 ? p4.object : loadProgramFile(bytes, file);
  const mapEntries = p4 && opts.entries ? entriesForMaps(p4.p4, readText(resolve(ctx.io.cwd, opts.entries)), opts.entries) : undefined;
  const files = buildInMemory({ object, file, bytes, target: opts.target, program: opts.program, type: opts.type as ProgramType | undefined, passes: p4 ? P4_PIPELINE : undefined, mapEntries, controlPlane: p4?.p4.tables });
  const dir = resolve(ctx.io.cwd, opts.output);
  if (!opts.check) {
    if (mapping === undefined) return writeBundle(dir, files);
    // Synthesis first, so that the bundle is written once, its manifest with the figures.
    const synth = synthesizeBundle(files, mapping);
    writeBundle(dir, synth.files);
    ctx.io.stdout(formatSynthReport(synth.report));
    return;
  }
  const diffs = compareBundle(dir, files);
  if (!diffs.length) {
    ctx.io.stdout(`${opts.output}: up to date (${files.length} files)\n`);
    return;
  }
  ctx.io.stdout(diffs.map((d) => `${d.status}: ${d.path}\n`).join("") + diffs.map((d) => shortDiff(opts.output, d)).join(""));
  // No folder to compare with: every file is listed as missing, and the error says why.
  const why = !existsSync(dir) ? " (it does not exist)" : !statSync(dir).isDirectory() ? " (it is a file, not a bundle folder)" : "";
  ctx.io.stderr(`bpfoff: error: ${opts.output}${why} differs from the build in ${diffs.length} file${diffs.length === 1 ? "" : "s"}: ${diffs.map((d) => d.path).join(", ")}\n`);
  ctx.exitCode = 1;
}

/** The first DIFF_LINES lines of a text file's unified diff (on disk -> built); "" for binary files. */
function shortDiff(dir: string, d: BundleDifference): string {
  const onDisk = d.onDisk ?? new Uint8Array(0);
  const built = d.built ?? new Uint8Array(0);
  if (!isText(onDisk) || !isText(built)) return "";
  const text = unifiedDiff(Buffer.from(onDisk).toString("utf8"), Buffer.from(built).toString("utf8"), `${dir}/${d.path}`, `build/${d.path}`);
  const lines = text.split("\n").slice(0, -1);
  if (lines.length <= DIFF_LINES) return text;
  return lines.slice(0, DIFF_LINES).join("\n") + `\n... (${lines.length - DIFF_LINES} more lines)\n`;
}
