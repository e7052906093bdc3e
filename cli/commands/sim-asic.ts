// `bpfoff sim DIR` for an asic bundle: the behavioural model (backends/asic/model) runs the
// bundle's configuration files and table images, never the source. --pcap IN [--out OUT]
// prints the `bpfoff run` line of each packet; --stf FILE runs the packet/expect commands of
// an STF file; its `add` lines become entries through asic/control.json (the P4 tables as
// the control plane sees them, written by a P4 build) and go into the table images in
// memory as the map API would put them. --trace prints, per
// packet, the parser states taken, the PHV and each stage's gateways, hits and actions.
import { fail } from "../../ir/diag/diag.js";
import { controlTables, readAsicBundle } from "../../backends/asic/files.js";
import { encodeEntry } from "../../frontends/p4/entries.js";
import type { TableInfo } from "../../frontends/p4/tables.js";
import { PipelineModel } from "../../backends/asic/model/model.js";
import { readPcap, writePcap, type Pcap } from "../../runtime/packet/pcap.js";
import { verdictName } from "../../runtime/interp/xdp.js";
import { matchesExpectation, parseStf } from "../../frontends/p4/stf.js";
import { readInput, readText, writeFileAtomic, type CliContext } from "../io.js";

export interface AsicSimOpts {
  pcap?: string;
  stf?: string;
  out?: string;
  ifindex: string;
  trace?: boolean;
}

export function simAsicBundle(ctx: CliContext, dir: string, shown: string, opts: AsicSimOpts, path: (p: string) => string): void {
  if (!opts.pcap === !opts.stf) fail("cli-usage", {}, ["sim on an asic bundle takes one of --pcap IN and --stf FILE"]);
  const { config, memories, control } = readAsicBundle(dir, shown);
  const model = new PipelineModel(config, memories);
  const ifindex = Number(opts.ifindex);
  const run = (data: Uint8Array, port: number, n: number) => {
    const trace: string[] | undefined = opts.trace ? [] : undefined;
    const r = model.run(data, { ingress_ifindex: port, rx_queue_index: 0 }, trace);
    if (trace) ctx.io.stdout(`packet ${n}:\n${trace.map((l) => l + "\n").join("")}`);
    return r;
  };
  if (opts.pcap) {
    const input: Pcap = readPcap(readInput(path(opts.pcap)), opts.pcap);
    const packets: Pcap["packets"] = [];
    const lines = input.packets.map((p, i) => {
      const r = run(p.data, ifindex, i + 1);
      packets.push({ ...p, origLen: r.packet.length, data: r.packet });
      const to = r.redirect !== undefined && verdictName(r.verdict) === "XDP_REDIRECT" ? `, to ifindex ${r.redirect}` : "";
      return `packet ${i + 1}: ${p.data.length} bytes in, ${r.packet.length} out, r0=0x${r.verdict.toString(16)}${to}, ${verdictName(r.verdict)}\n`;
    });
    ctx.io.stdout(lines.join(""));
    if (opts.out) writeFileAtomic(path(opts.out), writePcap({ ...input, packets }));
    return;
  }
  const commands = parseStf(readText(path(opts.stf!)), opts.stf!);
  const outputs: { port: number; data: Uint8Array; packet: number }[] = [];
  const expects: { port: number; pattern: string; exact: boolean; line: number }[] = [];
  let packets = 0;
  for (const c of commands) {
    if (c.cmd === "add") {
      const loc = { file: opts.stf!, line: c.line };
      if (!control) fail("cli-usage", loc, [`'add' needs the P4 program's tables, and ${shown} has no asic/control.json (it was not built from P4)`]);
      const { table, entries } = encodeEntry(controlTables(control) as TableInfo[], c.entry, loc);
      const memory = memories.get(table.mapName);
      if (!memory) fail("p4-entries", loc, [`table ${table.mapName} has no memory in the pipeline (the program never looks it up)`]);
      // A range key expands to several ternary rows (the minimal prefix cover), all added.
      for (const entry of entries) if (!memory.insert(entry)) fail("p4-entries", loc, [`cannot add the entry to ${table.mapName}: ${memory.kind === "exact" ? "every hash way of its buckets is taken" : "the table is full"}`]);
      continue;
    }
    if (c.cmd === "setdefault" || c.cmd === "remove" || c.cmd === "check_counter")
      fail("cli-usage", { file: opts.stf!, line: c.line }, [`'${c.cmd}' is not run on an asic bundle yet: run bpfoff test X.p4 --stf ${opts.stf} --target asic`]);
    if (c.cmd === "wait") continue;
    if (c.cmd === "packet") {
      const n = ++packets;
      const r = run(c.data, c.port, n);
      const v = verdictName(r.verdict);
      const port = v === "XDP_PASS" || v === "XDP_TX" ? c.port : v === "XDP_REDIRECT" ? r.redirect : undefined;
      if (port !== undefined) outputs.push({ port, data: r.packet, packet: n });
    } else expects.push(c);
  }
  const failures: string[] = [];
  for (const port of [...new Set([...expects.map((e) => e.port), ...outputs.map((o) => o.port)])].sort((a, b) => a - b)) {
    const want = expects.filter((e) => e.port === port), got = outputs.filter((o) => o.port === port);
    want.forEach((w, i) => {
      const g = got[i];
      if (!g) failures.push(`${opts.stf}:${w.line}: expected a packet on port ${port}, none came out`);
      else if (!matchesExpectation(g.data, w.pattern, w.exact)) failures.push(`${opts.stf}:${w.line}: packet ${g.packet} on port ${port} differs\n    expected ${w.pattern}${w.exact ? " $" : ""}\n    got      ${Buffer.from(g.data).toString("hex")}`);
    });
    for (const g of got.slice(want.length)) failures.push(`packet ${g.packet} came out of port ${port} unexpectedly: ${Buffer.from(g.data).toString("hex")}`);
  }
  if (failures.length) {
    ctx.io.stdout(failures.map((f) => `FAIL ${f}\n`).join(""));
    ctx.io.stderr(`bpfoff: error: ${opts.stf}: ${failures.length} failure${failures.length === 1 ? "" : "s"}\n`);
    ctx.exitCode = 1;
    return;
  }
  ctx.io.stdout(`${opts.stf}: ${packets} packet${packets === 1 ? "" : "s"}, ${expects.length} expectation${expects.length === 1 ? "" : "s"} met on the asic model\n`);
}
