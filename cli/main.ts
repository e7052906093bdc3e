// bpfoff's command line. Commands live one per file in cli/commands/ and register
// themselves on the commander program; main() runs in-process with injected streams,
// turns every DiagnosticError into `bpfoff: error: ...` lines and exit status 1, and
// reports anything else as a compiler bug (still one line, still exit 1).
import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import { Command, CommanderError } from "commander";
import { DiagnosticError, renderDiagnostic } from "../ir/diag/diag.js";
import type { CliContext, CliIo } from "./io.js";
import { COMMANDS } from "./commands/index.js";
import { DATAFLOW_FUSIONS } from "../backends/fpga/sched/fuse.js";
import { SCHED_PASSES } from "../backends/fpga/sched/schedule.js";

/** Environment variables bpfoff reads, as `bpfoff --help` lists them. */
const ENVIRONMENT: readonly [string, string][] = [
  ["BPFOFF_FPGA_LANES", "the FPGA engine's lanes: 1, 2 or 4 (default 4)"],
  ["BPFOFF_FPGA_FUSIONS", `the FPGA scheduler's dataflow extensions: a comma list of ${DATAFLOW_FUSIONS.join(", ")}, or none (default all)`],
  ["BPFOFF_FPGA_PASSES", `the FPGA scheduler's superblock passes: a comma list of ${SCHED_PASSES.join(", ")}, or none (default all)`],
  ["BPFOFF_DEBUG", "set: a compiler bug's report also prints its stack"],
];

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const program = new Command("bpfoff")
    .description("Hardware-offload compiler for packet-processing programs")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (s, write) => write(s.startsWith("error:") ? `bpfoff: ${s}` : s) })
    .addHelpText("after", `\nEnvironment:\n${ENVIRONMENT.map(([name, what]) => `  ${name.padEnd(21)}${what}`).join("\n")}\n`);
  for (const register of COMMANDS) register(program, ctx);
  // Errors stay one line: no "(Did you mean ...?)" second line from commander.
  program.showSuggestionAfterError(false);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride().showSuggestionAfterError(false);
  try {
    await program.parseAsync(["node", "bpfoff", ...argv]);
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    if (e instanceof DiagnosticError) {
      for (const d of e.diagnostics) io.stderr(relativeToCwd(renderDiagnostic(d, sourceFor(d.loc.file, io)), io) + "\n");
      return 1;
    }
    io.stderr(`bpfoff: bug: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env["BPFOFF_DEBUG"]) io.stderr(`${(e as Error).stack}\n`);
    return 1;
  }
}

/**
 * Commands resolve paths against the working folder before reading or writing them; in a
 * message, a path under that folder is shown relative to it, as the user typed it.
 */
function relativeToCwd(text: string, io: CliIo): string {
  const dir = io.cwd.replace(/[\\/]+$/, "");
  // At the root every absolute path is "under" it: nothing is shortened there.
  return dir === "" ? text : text.split(`${dir}${sep}`).join("");
}

/** The text of a source file, for caret lines; undefined for binary or unreadable files. */
function sourceFor(file: string | undefined, io: CliIo): string | undefined {
  if (!file || !/\.(s|S|asm|c|h|p4|json|stf|txt)$/.test(file)) return undefined;
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch {
    return undefined;
  }
}
