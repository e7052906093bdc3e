// `bpfoff test prog.p4 --stf tests.stf [--entries e.json] [--target T]`: p4c's STF packet
// tests. The program is compiled as for `build`, its maps instantiated, then the STF
// commands run in order: `add` writes a table entry (p4c's eBPF names: <control>_<table>,
// key.field<N> or the key's expression), `setdefault` the table's default action,
// `remove` an entry (or all), `packet` runs the program on the packet (ingress ifindex =
// the port), `expect` states the packet that must come out of a port, `check_counter`
// compares a counter with a number when the command is reached, `wait` does nothing.
// Where a packet goes: XDP_PASS and XDP_TX out of the port it came in on, XDP_REDIRECT out
// of the redirect ifindex, XDP_DROP and XDP_ABORTED nowhere. Every packet that comes out
// must be expected, in order per port. Exit 0 when all expectations are met, 1 with a
// report of each failure.
import type { Command } from "commander";
import { resolve } from "node:path";
import { fail } from "../../ir/diag/diag.js";
import { findBackend, BACKENDS } from "../../backends/registry.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { checkHelpers, instantiateMaps, runXdp } from "../../runtime/interp/run.js";
import { prepareObject } from "../../runtime/interp/interpreter.js";
import { writeEntry, describeErrno, isTcam, type BpfMap, type MapEntry } from "../../runtime/maps/index.js";
import { encodeDefault, encodeEntry, encodeMatch } from "../../frontends/p4/entries.js";
import { checkCounter, compareOutputs, parseStf, type StfExpect, type StfOutput } from "../../frontends/p4/stf.js";
import { entriesForMaps, installEntries, isP4File, loadP4 } from "../load-p4.js";
import { readInput, readText, type CliContext } from "../io.js";

interface TestOpts {
  stf: string;
  entries?: string;
  target: string;
}

const TEST_TARGETS: readonly string[] = ["interp", ...BACKENDS.filter((b) => b.runXdp).map((b) => b.name)];

export function registerTest(program: Command, ctx: CliContext): void {
  program
    .command("test")
    .description("run p4c STF packet tests (add / packet / expect) against a P4 program")
    .argument("<file>", "P4-16 program (.p4)")
    .requiredOption("--stf <file>", "the STF test file")
    .option("--entries <file>", "table entries to install first (JSON, as for run --entries)")
    .option("--target <target>", `where packets run (${TEST_TARGETS.join(", ")})`, "interp")
    .action((file: string, opts: TestOpts) => testCommand(ctx, file, opts));
}

function testCommand(ctx: CliContext, file: string, opts: TestOpts): void {
  if (!isP4File(file)) fail("cli-usage", { file }, ["bpfoff test runs STF tests of a P4 program (.p4)"]);
  if (!TEST_TARGETS.includes(opts.target)) fail("cli-usage", {}, [`target '${opts.target}' cannot run XDP programs (available: ${TEST_TARGETS.join(", ")})`]);
  const path = (p: string) => resolve(ctx.io.cwd, p);
  const { object, p4 } = loadP4(readInput(path(file)), file);
  const commands = parseStf(readText(path(opts.stf)), opts.stf);
  checkHelpers(object, "xdp");
  const maps = instantiateMaps(object);
  const install = (entry: Parameters<typeof encodeEntry>[1], loc: { file: string; line?: number; col?: number }) => {
    const { table, entries } = encodeEntry(p4.tables, entry, loc);
    const map = maps[object.maps.findIndex((m) => m.name === table.mapName)]!;
    for (const me of entries) {
      const rc = writeEntry(map, me);
      if (rc !== 0) fail("p4-entries", loc, [`cannot add the entry to ${table.mapName}: ${describeErrno(rc)}`]);
    }
  };
  if (opts.entries) installEntries(object, maps, entriesForMaps(p4, readText(path(opts.entries)), opts.entries), opts.entries);
  const host = newHostState();
  const prepared = prepareObject(object);
  const outputs: StfOutput[] = [];
  const pending: { port: number; data: Uint8Array; packet: number }[] = [];
  let packets = 0;
  let checks = 0;
  const flush = () => {
    if (!pending.length) return;
    if (opts.target === "interp") {
      for (const p of pending) {
        const r = runXdp(object, p.data, maps, host, { ingressIfindex: p.port, rxQueueIndex: 0 }, { prepared });
        const port = r.verdict === "XDP_PASS" || r.verdict === "XDP_TX" ? p.port : r.verdict === "XDP_REDIRECT" ? r.redirect?.ifindex : undefined;
        if (port !== undefined) outputs.push({ port, data: r.packet, packet: p.packet });
      }
    } else {
      // A target runs a batch of packets with one ingress ifindex: group by port, in order.
      const backend = findBackend(opts.target)!;
      for (const p of pending) {
        const r = backend.runXdp!({ object, program: 0, frames: [p.data], ifindex: p.port, maxSteps: 10_000_000, maps });
        const out = r.packets[0]!;
        const v = Number(out.r0);
        const port = v === 2 || v === 3 ? p.port : v === 4 ? out.redirect?.ifindex : undefined;
        if (port !== undefined) outputs.push({ port, data: out.packet, packet: p.packet });
      }
    }
    pending.length = 0;
  };
  const expects: StfExpect[] = [];
  const failures: string[] = [];
  const mapNamed = (name: string) => maps[object.maps.findIndex((m) => m.name === name)]!;
  for (const c of commands) {
    // Control-plane commands and counter checks see every packet sent before them.
    if (c.cmd !== "packet" && c.cmd !== "expect") flush();
    const loc = { file: opts.stf, line: c.line, col: "col" in c ? c.col : undefined };
    switch (c.cmd) {
      case "add":
        install(c.entry, loc);
        break;
      case "setdefault": {
        const { map, entry } = encodeDefault(p4.tables, c.entry, loc);
        const rc = writeEntry(mapNamed(map), entry);
        if (rc !== 0) fail("p4-entries", loc, [`cannot set the default action of ${c.entry.table}: ${describeErrno(rc)}`]);
        break;
      }
      case "remove":
        if (!c.entry) {
          for (const t of p4.tables) clearMap(mapNamed(t.mapName));
          break;
        }
        {
          const { table, keys } = encodeMatch(p4.tables, c.entry, loc);
          for (const k of keys) {
            const rc = removeEntry(mapNamed(table.mapName), k);
            if (rc !== 0) fail("p4-entries", loc, [`cannot remove the entry from ${table.mapName}: ${describeErrno(rc)}`]);
          }
        }
        break;
      case "check_counter": {
        const problem = checkCounter(object.maps.map((m) => m.name), (i, key) => maps[i]!.lookup(key), (i) => maps[i]!.def.keySize, c, loc);
        if (problem) failures.push(`${opts.stf}:${c.line}: ${problem}`);
        else checks++;
        break;
      }
      case "packet":
        pending.push({ port: c.port, data: c.data, packet: ++packets });
        break;
      case "expect":
        expects.push(c);
        break;
      case "wait":
        // Packets run to completion as they are sent: there is nothing to wait for.
        break;
    }
  }
  flush();
  const compared = compareOutputs(opts.stf, expects, outputs);
  failures.push(...compared.failures);
  reportStf(ctx, opts.stf, { failures, met: compared.met, expects: expects.length, packets, checks }, opts.target);
}

/**
 * The end of an STF run: each failure on stdout and exit 1 with the counts, or the line
 * that says what was met on `where` (a target, or the asic model).
 */
export function reportStf(ctx: CliContext, stf: string, r: { failures: readonly string[]; met: number; expects: number; packets: number; checks: number }, where: string): void {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (r.failures.length) {
    ctx.io.stdout(r.failures.map((f) => `FAIL ${f}\n`).join(""));
    ctx.io.stderr(`bpfoff: error: ${stf}: ${plural(r.failures.length, "failure")} (${r.met} of ${r.expects} expectations met, ${r.packets} packets)\n`);
    ctx.exitCode = 1;
    return;
  }
  ctx.io.stdout(`${stf}: ${plural(r.packets, "packet")}, ${plural(r.expects, "expectation")}${r.checks ? ` and ${plural(r.checks, "counter check")}` : ""} met on ${where}\n`);
}

/** Deletes one entry given by its key (and mask and priority, for a tcam). */
function removeEntry(map: BpfMap, k: Omit<MapEntry, "value">): number {
  return isTcam(map) ? map.remove(k.key, k.mask!, k.priority ?? 0) : map.delete(k.key);
}

function clearMap(map: BpfMap): void {
  for (const e of [...map.entries()]) removeEntry(map, e);
}

