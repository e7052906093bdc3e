// `bpfoff run FILE`: run a program on the reference interpreter.
//   without --pcap: the raw-memory program type (r1 = --mem bytes, r2 = their length);
//     the last line printed is r0 in 0x hex.
//   with --pcap: an XDP program over every packet in order, maps carried from packet to
//     packet; one line per packet ending in its verdict name.
//   --target T (a registered backend with runRaw, e.g. fpga): the raw program on that
//     target (the FPGA engine in Verilator); the same one line of r0. With --pcap (a backend
//     with runXdp): an XDP program, the same lines per packet and the same --out file;
//     --maps-in/--maps-out as for the interpreter (the fpga engine: array and hash maps).
//     x86_64 and arm64 run native code with runtime/native (docs/native.md).
//     --stats writes the target's figures (cycles, or time) to stderr.
import type { Command } from "commander";
import { resolve } from "node:path";
import { entriesForMaps, installEntries, isP4File, loadP4, loadProgramFile } from "../load-p4.js";
import { fail } from "../../ir/diag/diag.js";
import { BACKENDS, findBackend } from "../../backends/registry.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { checkHelpers, instantiateMaps, programIndex, runRaw, runXdp } from "../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../runtime/maps/state.js";
import { prepareObject } from "../../runtime/interp/interpreter.js";
import { verdictName } from "../../runtime/interp/xdp.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import type { BpfMap } from "../../runtime/maps/map.js";
import { readPcap, writePcap, type Pcap } from "../../runtime/packet/pcap.js";
import { checkWritable, readInput, readText, writeFileAtomic, type CliContext } from "../io.js";
import { parseHexBytes } from "../hex.js";
import { integerValue } from "../numbers.js";

export interface RunOpts {
  target: string;
  mem?: string;
  pcap?: string;
  out?: string;
  mapsIn?: string;
  mapsOut?: string;
  program?: string;
  maxSteps: string;
  ifindex: string;
  seed?: string;
  stats?: boolean;
  /** bpfoff sim --vcd: a waveform of the run (targets simulated in Verilator). */
  vcd?: string;
  entries?: string;
}

/**
 * Where bpf_get_prandom_u32 starts by default: newHostState's seed, which is also the FPGA
 * engine's SEED parameter, so that every target gives the same numbers unless told otherwise.
 */
const DEFAULT_SEED = String(newHostState().rng);

/** Targets `run` can execute on: the interpreter, and every backend that can run a raw program. */
const RUN_TARGETS: readonly string[] = ["interp", ...BACKENDS.filter((b) => b.runRaw || b.runXdp).map((b) => b.name)];

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command("run")
    .description("run a program (C or P4 source, assembler text or ELF object) on the reference interpreter or a target (--target fpga: the engine in Verilator; x86_64: native code; arm64: native code under qemu-aarch64; npu: the micro-engine simulator)")
    .argument("<file>", "program: C source (.c), assembler text (.s) or ELF object (.o)")
    .option("--target <target>", `where to run it (${RUN_TARGETS.join(", ")})`, "interp")
    .option("--mem <hex>", "input memory for a raw program: r1 points to a copy, r2 holds its length")
    .option("--pcap <file>", "run as XDP over every packet of this pcap")
    .option("--out <file>", "with --pcap: write every packet as the program left it")
    .option("--maps-in <file>", "initial map state, {\"map\": [bpftool entries]}")
    .option("--maps-out <file>", "final map state, same format")
    .option("--entries <file>", "P4: table entries (JSON, P4Runtime-style) installed before the first packet")
    .option("--program <name>", "program (function or section name) in an object with several")
    .option("--max-steps <n>", "stop a run after this many instructions", "10000000")
    .option("--ifindex <n>", "with --pcap: ingress_ifindex in xdp_md", "1")
    .option("--seed <n>", `seed of bpf_get_prandom_u32 (default ${DEFAULT_SEED}, the FPGA engine's built-in seed)`)
    .option("--stats", "with a --target other than interp: print the target's figures (cycles) to stderr")
    .action((file: string, opts: RunOpts) => runCommand(ctx, file, opts));
}

function intOption(text: string, option: string): number {
  const n = integerValue(text);
  if (!Number.isSafeInteger(n) || n < 0) fail("cli-usage", {}, [`${option} must be a non-negative integer, not '${text}'`]);
  return n;
}

function runCommand(ctx: CliContext, file: string, opts: RunOpts): void {
  if (!RUN_TARGETS.includes(opts.target)) fail("cli-usage", {}, [`target '${opts.target}' cannot run programs yet (available: ${RUN_TARGETS.join(", ")})`]);
  if (opts.pcap && opts.mem) fail("cli-usage", {}, ["--mem and --pcap exclude each other: --mem runs a raw program, --pcap an XDP program"]);
  if (!opts.pcap && opts.out) fail("cli-usage", {}, ["--out needs --pcap"]);
  const path = (p: string) => resolve(ctx.io.cwd, p);
  for (const out of [opts.out, opts.mapsOut]) if (out !== undefined) checkWritable(path(out));
  if (opts.target !== "interp") return runOnTarget(ctx, file, opts);
  if (opts.entries && !isP4File(file)) fail("cli-usage", {}, ["--entries gives P4 table entries: it goes with a .p4 program"]);
  const p4 = isP4File(file) ? loadP4(readInput(path(file)), file) : undefined;
  const object = p4 ? p4.object : loadProgramFile(readInput(path(file)), file);
  checkHelpers(object, opts.pcap ? "xdp" : "raw");
  const program = programIndex(object, opts.program);
  const maxSteps = intOption(opts.maxSteps, "--max-steps");
  const host = newHostState(intOption(opts.seed ?? DEFAULT_SEED, "--seed"));
  const maps = instantiateMaps(object);
  if (p4 && opts.entries) installEntries(object, maps, entriesForMaps(p4.p4, readText(path(opts.entries)), opts.entries), opts.entries);
  if (opts.mapsIn) loadMapsState(maps, readText(path(opts.mapsIn)), opts.mapsIn);

  // Read every input before running, and write outputs only after every run succeeded.
  const outputs: [string, Uint8Array | string][] = [];
  if (opts.pcap) {
    const input = readPcap(readInput(path(opts.pcap)), opts.pcap);
    const meta = { ingressIfindex: intOption(opts.ifindex, "--ifindex"), rxQueueIndex: 0 };
    const lines: string[] = [];
    const packets: Pcap["packets"] = [];
    const prepared = prepareObject(object);
    input.packets.forEach((p, i) => {
      const r = runXdp(object, p.data, maps, host, meta, { program, maxSteps, prepared });
      const to = r.redirect?.ifindex !== undefined ? `, to ifindex ${r.redirect.ifindex}` : "";
      lines.push(`packet ${i + 1}: ${p.data.length} bytes in, ${r.packet.length} out, r0=0x${r.r0.toString(16)}${to}, ${r.verdict}`);
      packets.push({ ...p, origLen: r.packet.length, data: r.packet });
    });
    ctx.io.stdout(lines.map((l) => l + "\n").join(""));
    if (opts.out) outputs.push([opts.out, writePcap({ ...input, packets })]);
  } else {
    const mem = opts.mem !== undefined ? parseHexBytes(opts.mem, "--mem") : undefined;
    const r = runRaw(object, mem, { program, maps, host, maxSteps });
    ctx.io.stdout(`0x${r.r0.toString(16)}\n`);
  }
  if (opts.mapsOut) outputs.push([opts.mapsOut, formatMapsState(maps)]);
  for (const [p, data] of outputs) writeFileAtomic(path(p), data);
}

/**
 * A raw program on a backend's runRaw (the FPGA engine in Verilator): one line of r0, as
 * the interpreter prints it; with --pcap, an XDP program on its runXdp: the interpreter's
 * lines per packet and the same --out file.
 */
function runOnTarget(ctx: CliContext, file: string, opts: RunOpts): void {
  const backend = findBackend(opts.target)!;
  if (opts.pcap && !backend.runXdp) fail("cli-usage", {}, [`--target ${opts.target} --pcap: not yet: the target cannot run XDP programs; run raw programs with --mem`]);
  const path = (p: string) => resolve(ctx.io.cwd, p);
  const object = loadProgramFile(readInput(path(file)), file);
  // The maps as the interpreter starts them (--maps-in on top); the target runs from them
  // and leaves the final state in them, for --maps-out.
  const maps = instantiateMaps(object);
  if (opts.mapsIn) loadMapsState(maps, readText(path(opts.mapsIn)), opts.mapsIn);
  if (opts.pcap) return runXdpOnTarget(ctx, object, opts, path, maps);
  if (!backend.runRaw) fail("cli-usage", {}, [`--target ${opts.target} runs XDP programs only: give --pcap`]);
  checkHelpers(object, "raw");
  const program = programIndex(object, opts.program);
  const mem = opts.mem !== undefined ? parseHexBytes(opts.mem, "--mem") : undefined;
  const seed = opts.seed === undefined ? undefined : intOption(opts.seed, "--seed");
  const r = backend.runRaw!({ object, program, mem, maxSteps: intOption(opts.maxSteps, "--max-steps"), seed, maps });
  ctx.io.stdout(`0x${r.r0.toString(16)}\n`);
  if (opts.stats && r.stats) ctx.io.stderr(r.stats + "\n");
  if (opts.mapsOut) writeFileAtomic(path(opts.mapsOut), formatMapsState(maps));
}

/** `--target T --pcap IN [--out OUT]`: every packet through the target in one batch (also `bpfoff sim`). */
export function runXdpOnTarget(ctx: CliContext, object: BpfObject, opts: RunOpts, path: (p: string) => string, maps: readonly BpfMap[]): void {
  const backend = findBackend(opts.target)!;
  checkHelpers(object, "xdp");
  const program = programIndex(object, opts.program);
  const input = readPcap(readInput(path(opts.pcap!)), opts.pcap!);
  const seed = opts.seed === undefined ? undefined : intOption(opts.seed, "--seed");
  const r = backend.runXdp!({
    object, program, frames: input.packets.map((p) => p.data), ifindex: intOption(opts.ifindex, "--ifindex"),
    maxSteps: intOption(opts.maxSteps, "--max-steps"), seed, maps, ...(opts.vcd ? { vcd: path(opts.vcd) } : {}),
  });
  const packets: Pcap["packets"] = [];
  const lines = input.packets.map((p, i) => {
    const out = r.packets[i]!;
    packets.push({ ...p, origLen: out.packet.length, data: out.packet });
    // The interpreter's line, so that a target's output diffs against it.
    const to = out.redirect?.ifindex !== undefined && verdictName(out.r0) === "XDP_REDIRECT" ? `, to ifindex ${out.redirect.ifindex}` : "";
    return `packet ${i + 1}: ${p.data.length} bytes in, ${out.packet.length} out, r0=0x${out.r0.toString(16)}${to}, ${verdictName(out.r0)}\n`;
  });
  ctx.io.stdout(lines.join(""));
  if (opts.stats && r.stats) ctx.io.stderr(r.stats.map((l) => l + "\n").join(""));
  if (opts.out) writeFileAtomic(path(opts.out), writePcap({ ...input, packets }));
  if (opts.mapsOut) writeFileAtomic(path(opts.mapsOut), formatMapsState(maps));
}
