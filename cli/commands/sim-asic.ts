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
import { checkCounter, matchesExpectation, parseStf } from "../../frontends/p4/stf.js";
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
  const failures: string[] = [...counterFailures];
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
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  ctx.io.stdout(`${opts.stf}: ${plural(packets, "packet")}, ${plural(expects.length, "expectation")}${checks ? ` and ${plural(checks, "counter check")}` : ""} met on the asic model\n`);
}
