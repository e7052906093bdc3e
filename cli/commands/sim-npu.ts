// `bpfoff sim DIR` for an npu bundle: the control store image (microcode.bin), the
// descriptor the bundle was built against (npu.json: latencies, clock, engines) and the
// map images, nothing recompiled. stdout: the lines of `bpfoff run`, one per packet ending
// in its verdict; stderr: each packet's cycles, then cycles per packet, engine utilisation
// (issue cycles over all cycles) and packets per second at the descriptor's clock.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { simulate, summary, npuTiming } from "../../backends/npu/backend.js";
import { readImage } from "../../backends/npu/image.js";
import { fail } from "../../ir/diag/diag.js";
import { validateDescriptor } from "../../offload-hooks/descriptor.js";
import type { BpfMap } from "../../runtime/maps/map.js";
import { verdictName } from "../../runtime/interp/xdp.js";
import { formatMapsState } from "../../runtime/maps/state.js";
import { readPcap, writePcap, type Pcap } from "../../runtime/packet/pcap.js";
import { readInput, writeFileAtomic, type CliContext } from "../io.js";
import { readBundleFile } from "../bundle-read.js";
import { integerValue } from "../numbers.js";

export interface NpuSimOpts {
  pcap: string;
  out?: string;
  mapsOut?: string;
  maxSteps: string;
  ifindex: string;
  engines?: string;
  threads?: string;
}

function count(text: string | undefined, option: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = integerValue(text);
  if (!Number.isInteger(n) || n < 1 || n > max) fail("cli-usage", {}, [`${option} must be an integer from 1 to ${max}, not '${text}'`]);
  return n;
}

export function simNpuBundle(ctx: CliContext, dir: string, bundle: string, manifest: { program: { type: string }; resources: { image: string; descriptor: string } }, maps: readonly BpfMap[], opts: NpuSimOpts, path: (p: string) => string): void {
  if (manifest.program.type !== "xdp") fail("cli-usage", {}, [`${bundle} holds a ${manifest.program.type} program: sim runs XDP programs over a pcap (run raw programs with bpfoff run --target npu --mem)`]);
  const words = readImage(readBundleFile({ dir, shown: bundle }, manifest.resources.image), `${bundle}/${manifest.resources.image}`);
  const descFile = `${bundle}/${manifest.resources.descriptor}`;
  let d;
  try {
    d = validateDescriptor(JSON.parse(readFileSync(join(dir, manifest.resources.descriptor), "utf8")), descFile);
  } catch (e) {
    return fail("io-format", { file: descFile }, [`${descFile}: not a valid target descriptor (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`]);
  }
  const timing = npuTiming(d);
  const engines = count(opts.engines, "--engines", 64) ?? timing.engines;
  const threads = count(opts.threads, "--threads", 8) ?? timing.threads;
  const steps = integerValue(opts.maxSteps), ifindex = integerValue(opts.ifindex);
  if (!Number.isSafeInteger(steps) || steps < 0) fail("cli-usage", {}, [`--max-steps must be a non-negative integer, not '${opts.maxSteps}'`]);
  if (!Number.isSafeInteger(ifindex) || ifindex < 0) fail("cli-usage", {}, [`--ifindex must be a non-negative integer, not '${opts.ifindex}'`]);
  const input = readPcap(readInput(path(opts.pcap)), opts.pcap);
  const run = simulate(words, maps, input.packets.map((p) => ({ kind: "xdp" as const, frame: p.data, ifindex })), d, { engines, threads, maxSteps: steps, maxCycles: Math.min(Number.MAX_SAFE_INTEGER, steps * 2048 * Math.max(1, input.packets.length)) });
  const packets: Pcap["packets"] = [];
  const lines = input.packets.map((p, i) => {
    const r = run.results[i]!;
    packets.push({ ...p, origLen: r.data.length, data: r.data });
    const to = r.redirect?.ifindex !== undefined && verdictName(r.r0) === "XDP_REDIRECT" ? `, to ifindex ${r.redirect.ifindex}` : "";
    return `packet ${i + 1}: ${p.data.length} bytes in, ${r.data.length} out, r0=0x${r.r0.toString(16)}${to}, ${verdictName(r.r0)}\n`;
  });
  ctx.io.stdout(lines.join(""));
  const stats = run.results.map((r, i) => `npu: packet ${i + 1}: ${r.latency} cycles, ${r.issued} microwords issued, engine ${r.engine} thread ${r.thread}\n`);
  ctx.io.stderr(stats.join("") + summary(run, d, engines, threads) + "\n");
  if (opts.out) writeFileAtomic(path(opts.out), writePcap({ ...input, packets }));
  if (opts.mapsOut) writeFileAtomic(path(opts.mapsOut), formatMapsState(maps));
}
