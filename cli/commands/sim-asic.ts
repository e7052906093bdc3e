// `bpfoff sim DIR` for an asic bundle: the behavioural model (backends/asic/model) runs the
// bundle's configuration files and table images, never the source. --pcap IN [--out OUT]
// prints the `bpfoff run` line of each packet; --stf FILE runs the packet/expect commands of
// an STF file; its `add` lines become entries through asic/control.json (the P4 tables as
// the control plane sees them, written by a P4 build) and go into the table images in
// memory as the map API would put them. --trace prints, per
// packet, the parser states taken, the PHV and each stage's gateways, hits and actions.
import { fail } from "../../ir/diag/diag.js";
import { controlTables, readAsicBundle } from "../../backends/asic/files.js";
import { encodeDefault, encodeEntry, encodeMatch } from "../../frontends/p4/entries.js";
import type { TableInfo } from "../../frontends/p4/tables.js";
import { PipelineModel } from "../../backends/asic/model/model.js";
import { readPcap, writePcap, type Pcap } from "../../runtime/packet/pcap.js";
import { verdictName } from "../../runtime/interp/xdp.js";
import { checkCounter, compareOutputs, parseStf, type StfExpect, type StfOutput } from "../../frontends/p4/stf.js";
import { reportStf } from "./test.js";
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
  const outputs: StfOutput[] = [];
  const expects: StfExpect[] = [];
  const counterFailures: string[] = [];
  let packets = 0, checks = 0;
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
    if (c.cmd === "check_counter") {
      // Counters are the bundle's register and table memories, as the model left them.
      const names = [...memories.keys()];
      const problem = checkCounter(names, (i, key) => memories.get(names[i]!)!.lookup(key)?.data, (i) => memories.get(names[i]!)!.def.keySize, c, { file: opts.stf!, line: c.line, col: c.col });
      if (problem) counterFailures.push(`${opts.stf}:${c.line}: ${problem}`);
      else checks++;
      continue;
    }
    if (c.cmd === "setdefault" || c.cmd === "remove") {
      const loc = { file: opts.stf!, line: c.line, col: c.col };
      if (!control) fail("cli-usage", loc, [`'${c.cmd}' needs the P4 program's tables, and ${shown} has no asic/control.json (it was not built from P4)`]);
      const tables = controlTables(control) as TableInfo[];
      const memoryOf = (name: string) => memories.get(name) ?? fail("p4-entries", loc, [`table ${name} has no memory in the pipeline (the program never looks it up)`]);
      if (c.cmd === "setdefault") {
        const { map, entry } = encodeDefault(tables, c.entry, loc);
        if (!memoryOf(map).insert(entry)) fail("p4-entries", loc, [`cannot set the default action of ${c.entry.table}`]);
      } else if (!c.entry) {
        // `remove all`: every entry of every table, as the chip's control plane clears them.
        for (const t of tables) {
          const m = memories.get(t.mapName);
          if (m) for (const e of m.entries()) m.remove(e);
        }
      } else {
        const { table, keys } = encodeMatch(tables, c.entry, loc);
        const m = memoryOf(table.mapName);
        for (const k of keys) if (!m.remove({ ...k, value: new Uint8Array(0) })) fail("p4-entries", loc, [`cannot remove the entry from ${table.mapName}: no such entry`]);
      }
      continue;
    }
    if (c.cmd === "wait") continue;
    if (c.cmd === "packet") {
      const n = ++packets;
      const r = run(c.data, c.port, n);
      const v = verdictName(r.verdict);
      const port = v === "XDP_PASS" || v === "XDP_TX" ? c.port : v === "XDP_REDIRECT" ? r.redirect : undefined;
      if (port !== undefined) outputs.push({ port, data: r.packet, packet: n });
    } else expects.push(c);
  }
  const compared = compareOutputs(opts.stf!, expects, outputs);
  reportStf(ctx, opts.stf!, { failures: [...counterFailures, ...compared.failures], met: compared.met, expects: expects.length, packets, checks }, "the asic model");
}
