// `bpfoff sim DIR --pcap IN`: run a built bundle on its target's simulator (the FPGA
// engine in Verilator): the program ROM image and the map images of the bundle, not a
// recompilation, so what runs is exactly what was built. Per packet: the verdict line of
// `bpfoff run` on stdout and the cycle count on stderr. --vcd FILE: a waveform of the
// whole run from the traced model (a second cached Verilator configuration).
import type { Command } from "commander";
import { resolve } from "node:path";
import { fail } from "../../ir/diag/diag.js";
import { decodeSlots } from "../../ir/bpf/codec.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { decodeMapImage } from "../../runtime/maps/image.js";
import { findBackend } from "../../backends/registry.js";
import { checkWritable, readText, type CliContext } from "../io.js";
import { loadMapsState } from "../../runtime/maps/state.js";
import { runXdpOnTarget } from "./run.js";
import { simNpuBundle } from "./sim-npu.js";
import { simAsicBundle } from "./sim-asic.js";
import { readBundleFile, readBundleManifest, type BundleDir } from "../bundle-read.js";

interface SimOpts {
  pcap: string;
  stf?: string;
  trace?: boolean;
  mapsIn?: string;
  out?: string;
  mapsOut?: string;
  maxSteps: string;
  ifindex: string;
  vcd?: string;
  engines?: string;
  threads?: string;
}

/** A ROM image: one slot per line, 16 hex digits, the slot's bytes read as a little-endian u64. */
function romSlots(text: string, count: number, file: string) {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length < count || !lines.slice(0, count).every((l) => /^[0-9a-fA-F]{16}$/.test(l.trim()))) fail("io-format", { file }, [`${file}: expected ${count} lines of 16 hex digits`]);
  const bytes = Buffer.alloc(count * 8);
  lines.slice(0, count).forEach((l, i) => bytes.writeBigUInt64LE(BigInt(`0x${l.trim()}`), i * 8));
  return decodeSlots(bytes, file);
}

export function registerSim(program: Command, ctx: CliContext): void {
  program
    .command("sim")
    .description("run a built bundle (bpfoff build --target fpga, npu or asic) on its simulator or model, over a pcap or an STF file (asic)")
    .argument("<bundle>", "the folder bpfoff build wrote")
    .option("--pcap <file>", "packets to run, in order, maps carried from packet to packet")
    .option("--stf <file>", "asic bundles: run an STF file's packets and expectations")
    .option("--trace", "asic bundles: per packet, the parser states, the PHV and each stage's gateways, hits and actions")
    .option("--maps-in <file>", "map state to start from instead of the bundle's images, {\"map\": [bpftool entries]}")
    .option("--out <file>", "every packet as the program left it")
    .option("--maps-out <file>", "final map state, {\"map\": [bpftool entries]}")
    .option("--max-steps <n>", "stop a run after this many instructions", "10000000")
    .option("--ifindex <n>", "ingress_ifindex in xdp_md", "1")
    .option("--vcd <file>", "write a waveform of the whole run (Verilator --trace; its model is built once, on first use)")
    .option("--engines <n>", "npu bundles: micro-engines (default: the bundle's descriptor)")
    .option("--threads <n>", "npu bundles: threads per engine, 1-8 (default: the descriptor's)")
    .action((bundle: string, opts: SimOpts) => {
      const b: BundleDir = { dir: resolve(ctx.io.cwd, bundle), shown: bundle };
      const dir = b.dir;
      const manifest = readBundleManifest(b);
      for (const out of [opts.out, opts.mapsOut, opts.vcd]) if (out !== undefined) checkWritable(resolve(ctx.io.cwd, out));
      if (manifest.target === "asic" || manifest.target === "asic_small") return simAsicBundle(ctx, dir, bundle, opts, (p) => resolve(ctx.io.cwd, p));
      if (opts.stf !== undefined || opts.trace) fail("cli-usage", {}, [`--stf and --trace run the asic behavioural model; ${bundle} was built for target ${manifest.target}`]);
      if (opts.pcap === undefined) fail("cli-usage", {}, ["sim needs --pcap IN"]);
      // Each simulator's own options: given to the other one, they would be ignored silently.
      if (opts.vcd !== undefined && manifest.target !== "fpga") fail("cli-usage", {}, [`--vcd writes the FPGA engine's waveform; ${bundle} was built for target ${manifest.target}`]);
      if ((opts.engines !== undefined || opts.threads !== undefined) && manifest.target !== "npu") fail("cli-usage", {}, [`--engines and --threads size the NPU simulator; ${bundle} was built for target ${manifest.target}`]);
      if (manifest.target === "npu") {
        const maps = (manifest.maps as { image: string }[]).map((m) => decodeMapImage(readBundleFile(b, m.image), `${bundle}/${m.image}`));
        if (opts.mapsIn) loadMapsState(maps, readText(resolve(ctx.io.cwd, opts.mapsIn)), opts.mapsIn);
        return simNpuBundle(ctx, dir, bundle, manifest, maps, opts, (p) => resolve(ctx.io.cwd, p));
      }
      const backend = findBackend(manifest.target);
      // fpga: the program's BPF slots (bpf_image) when the ROM holds scheduled bundles
      const rom = (manifest.resources?.bpf_image ?? manifest.resources?.rom_image) as string | undefined;
      if (!backend?.runXdp || !rom) fail("cli-usage", {}, [`${bundle} was built for target ${manifest.target}, which has no simulator (sim runs fpga bundles)`]);
      if (manifest.program.type !== "xdp") fail("cli-usage", {}, [`${bundle} holds a ${manifest.program.type} program: sim runs XDP programs over a pcap (run raw programs with bpfoff run --target ${manifest.target} --mem)`]);
      // A tail-call bundle's ROM holds every program of the object (resources.programs).
      const listed = manifest.resources.programs as { name: string; index: number; base: number; length: number }[] | undefined;
      const slots = romSlots(Buffer.from(readBundleFile(b, rom)).toString("utf8"), manifest.resources.rom_slots ?? manifest.resources.instructions, `${bundle}/${rom}`);
      const programs = listed
        ? [...listed].sort((a, b) => a.index - b.index).map((p) => ({ name: p.name, section: p.index === listed[0]!.index ? manifest.program.section : "", slots: slots.slice(p.base, p.base + p.length), functions: new Map<number, string>() }))
        : [{ name: manifest.program.name, section: manifest.program.section, slots, functions: new Map<number, string>() }];
      const maps = (manifest.maps as { image: string }[]).map((m) => decodeMapImage(readBundleFile(b, m.image), `${bundle}/${m.image}`));
      if (opts.mapsIn) loadMapsState(maps, readText(resolve(ctx.io.cwd, opts.mapsIn)), opts.mapsIn);
      const object: BpfObject = {
        programs,
        maps: maps.map((m) => m.def),
        mapInit: new Map(),
        license: "",
      };
      runXdpOnTarget(ctx, object, { target: manifest.target, program: listed?.[0]!.name, pcap: opts.pcap, out: opts.out, mapsOut: opts.mapsOut, maxSteps: opts.maxSteps, ifindex: opts.ifindex, stats: true, ...(opts.vcd ? { vcd: opts.vcd } : {}) }, (p) => resolve(ctx.io.cwd, p), maps);
    });
}
