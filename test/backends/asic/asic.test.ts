// The asic target (backends/asic, docs/asic-pipeline.md): every P4 corpus program either
// compiles and passes its STF file on the behavioural model exactly as on the interpreter,
// or is refused with the constructs that prevent it (a golden); the configs of the corpus
// are goldens (UPDATE_GOLDEN=1); builds are deterministic; bundles run from their files
// alone (sim --stf / --pcap, schema-checked); the small descriptor gives fit errors naming
// the unit, the resource and the excess; the C examples compile and match the
// interpreter on their pcaps, or are refused with the list.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTarget } from "../../../offload-hooks/descriptor.js";
import { schemaProblems } from "../../../backends/asic/files.js";
import { runCli as cli } from "../../support/cli.js";
import { parseStf } from "../../../frontends/p4/stf.js";
import { writePcap } from "../../../runtime/packet/pcap.js";
import { expectGolden } from "../../support/golden.js";
import { manifestProblems } from "../../../backends/common/manifest.js";

const ROOT = join(import.meta.dirname, "../../..");
const CORPUS = join(ROOT, "test/frontends/p4/corpus");
const GOLDEN = join(import.meta.dirname, "golden");
/** Every P4 program of the corpus: each compiles and gives the interpreter's STF results on asic. */
const PROGRAMS = readdirSync(CORPUS).filter((f) => f.endsWith(".p4")).map((f) => f.slice(0, -3)).sort();
/** Refused: the constructs are in golden/<name>.refused (none of the corpus today; the C examples have some). */
const REFUSED: string[] = [];
/** Control-plane entries of a corpus program, when it has a <name>.entries.json. */
const entriesOf = (name: string) => (existsSync(join(CORPUS, `${name}.entries.json`)) ? ["--entries", join(CORPUS, `${name}.entries.json`)] : []);
const tmp = () => mkdtempSync(join(tmpdir(), "bpfoff-asic-"));

/** A bundle's configuration as one text: every asic/ and tables/ file, by path. */
function configText(dir: string): string {
  const out: string[] = [];
  for (const sub of ["asic", "tables"]) for (const f of existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : []) out.push(`=== ${sub}/${f}\n${readFileSync(join(dir, sub, f), "utf8")}`);
  return out.join("");
}

describe("asic descriptors", () => {
  it("the default and small descriptors validate and describe a pipeline", () => {
    const big = loadTarget("asic").pipeline as { stages: number; stage: { sram_blocks: number } };
    const small = loadTarget("asic_small").pipeline as { stages: number; stage: { sram_blocks: number } };
    expect(big.stages).toBe(12);
    expect(small.stages).toBeLessThan(big.stages);
    expect(small.stage.sram_blocks).toBeLessThan(big.stage.sram_blocks);
  });
});

describe("P4 corpus on the asic model", () => {
  for (const name of PROGRAMS) {
    it(`${name}: the STF file passes on the interpreter and on asic alike`, async () => {
      const args = ["test", join(CORPUS, `${name}.p4`), "--stf", join(CORPUS, `${name}.stf`), ...entriesOf(name)];
      const interp = await cli(args, ROOT);
      const asic = await cli([...args, "--target", "asic"], ROOT);
      expect(interp.code, interp.stdout + interp.stderr).toBe(0);
      expect(asic.code, asic.stdout + asic.stderr).toBe(0);
      expect(asic.stdout.replace(/ on asic\n$/, "")).toBe(interp.stdout.replace(/ on interp\n$/, ""));
    });

    it(`${name}: the STF packets as a pcap give the interpreter's packets and final maps (counters, registers)`, async () => {
      const d = tmp();
      const packets = parseStf(readFileSync(join(CORPUS, `${name}.stf`), "utf8"), "t.stf").flatMap((c) => (c.cmd === "packet" ? [c.data] : []));
      writeFileSync(join(d, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: packets.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
      const run = (target: string) => cli(["run", join(CORPUS, `${name}.p4`), "--pcap", join(d, "in.pcap"), "--maps-out", join(d, `${target}.json`), "--target", target], ROOT);
      const [interp, asic] = [await run("interp"), await run("asic")];
      expect(asic.code, asic.stderr).toBe(0);
      expect(asic.stdout).toBe(interp.stdout);
      expect(readFileSync(join(d, "asic.json"), "utf8")).toBe(readFileSync(join(d, "interp.json"), "utf8"));
    });

    it(`${name}: its configuration is the golden one, and the same on every build`, async () => {
      const [a, b] = [tmp(), tmp()];
      for (const dir of [a, b]) {
        const r = await cli(["build", join(CORPUS, `${name}.p4`), "--target", "asic", "-o", join(dir, "b"), ...entriesOf(name)], ROOT);
        expect(r.code, r.stderr).toBe(0);
      }
      const text = configText(join(a, "b"));
      expect(configText(join(b, "b"))).toBe(text);
      expectGolden(join(GOLDEN, `${name}.config`), text);
      const check = await cli(["build", join(CORPUS, `${name}.p4`), "--target", "asic", "-o", join(a, "b"), "--check", ...entriesOf(name)], ROOT);
      expect(check.code, check.stdout + check.stderr).toBe(0);
    });
  }

  for (const name of REFUSED) {
    it(`${name}: refused with every construct that prevents it, never miscompiled`, async () => {
      const r = await cli(["build", join(CORPUS, `${name}.p4`), "--target", "asic", "-o", join(tmp(), "b")], ROOT);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("the program is refused, not miscompiled");
      expectGolden(join(GOLDEN, `${name}.refused`), r.stderr.replaceAll(ROOT + "/", ""));
    });
  }
});

describe("asic bundles run from their files", () => {
  it("sim --stf runs a bundle built with control-plane entries; --trace shows parser, PHV and stages", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "ipv4_router.p4"), "--target", "asic", "-o", dir, ...entriesOf("ipv4_router")], ROOT)).code).toBe(0);
    const stf = join(tmp(), "t.stf");
    writeFileSync(stf, readFileSync(join(CORPUS, "ipv4_router.stf"), "utf8").split("\n").filter((l) => !l.startsWith("add")).join("\n"));
    const r = await cli(["sim", dir, "--stf", stf], ROOT);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/expectations? met on the asic model/);
    const t = await cli(["sim", dir, "--stf", stf, "--trace"], ROOT);
    expect(t.stdout).toMatch(/parser: 0@0 -> 1@14/);
    expect(t.stdout).toMatch(/table Ingress_routes key [0-9a-f]+: hit at \d+/);
    // Control flow: gateways, tables applied or skipped under their predicates, action blocks.
    expect(t.stdout).toMatch(/gateway g\d+ (eq|uge|len)\(\d+, \d+\) = [01]/);
    expect(t.stdout).toMatch(/table select_verdict: action select_verdict_\d+/);
    expect(t.stdout).toMatch(/table \w+: skipped/);
    // The deparser: the valid headers of its list in order (Ethernet's rewritten addresses, the
    // IPv4 header with its new TTL and checksum), then the payload after them; a dropped
    // packet's path emits no header.
    expect(t.stdout).toMatch(/deparser: headers \d+ [^,]+(, \d+ [^,]+)*, payload from 34: \d+ bytes; verdict 4/);
    expect(t.stdout).toMatch(/deparser: no headers, payload from 0: \d+ bytes/);
  });

  it("sim --pcap gives the interpreter's lines for a C example", async () => {
    const ex = join(ROOT, "examples/router");
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(ex, "prog.c"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    // The bundle's tables are empty: the run starts from the same (empty) maps.
    const interp = await cli(["run", join(ex, "prog.c"), "--pcap", join(ex, "packets.pcap")], ROOT);
    const sim = await cli(["sim", dir, "--pcap", join(ex, "packets.pcap")], ROOT);
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.stdout).toBe(interp.stdout);
  });

  it("a configuration file that does not match its schema is refused with the file and the problem", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "l2_switch.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const phv = join(dir, "asic/phv.json");
    writeFileSync(phv, readFileSync(phv, "utf8").replace('"verdict":', '"verdikt":'));
    const r = await cli(["sim", dir, "--pcap", join(ROOT, "examples/router/packets.pcap")], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/asic\/phv.json does not match phv.schema.json/);
  });

  it("the schemas reject what the model could not run", () => {
    expect(schemaProblems("stage", { stage: 0, gateways: [], match_tables: [], action_tables: [{ name: "p", key: [], rows: [{ match: "2", action: 0 }], actions: [] }] })).not.toEqual([]);
    expect(schemaProblems("parser", { lookahead_bytes: 32, start: 0, states: [] })).toEqual([]);
  });
});

describe("sim --stf from the bundle alone, `add` lines included (asic/control.json)", () => {
  for (const name of PROGRAMS) {
    it(`${name}: the whole STF file passes on the bundle as in bpfoff test`, async () => {
      const dir = join(tmp(), "b");
      expect((await cli(["build", join(CORPUS, `${name}.p4`), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
      expect(schemaProblems("control", JSON.parse(readFileSync(join(dir, "asic/control.json"), "utf8")))).toEqual([]);
      const stf = join(CORPUS, `${name}.stf`);
      const [sim, interp] = [await cli(["sim", dir, "--stf", stf], ROOT), await cli(["test", join(CORPUS, `${name}.p4`), "--stf", stf], ROOT)];
      expect(sim.code, sim.stdout + sim.stderr).toBe(0);
      expect(sim.stdout.replace(/ on the asic model\n$/, "")).toBe(interp.stdout.replace(/ on interp\n$/, ""));
    });
  }

  it("the entries of `add` lines decide the packets: another key fails the expectations", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "l2_switch.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const text = readFileSync(join(CORPUS, "l2_switch.stf"), "utf8");
    const adds = text.split("\n").filter((l) => l.startsWith("add"));
    expect(adds.length).toBeGreaterThan(0);
    const stf = join(tmp(), "t.stf");
    // The packets before the run-time control-plane commands (whose `remove` names the entry).
    writeFileSync(stf, text.slice(0, text.indexOf("check_counter")).replace("dstAddr:0x000000000001", "dstAddr:0x000000000005"));
    const r = await cli(["sim", dir, "--stf", stf], ROOT);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/FAIL /);
  });

  it("`add` on a bundle built from C is refused with the line: there are no P4 tables", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(ROOT, "examples/router/prog.c"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const stf = join(tmp(), "t.stf");
    writeFileSync(stf, "add Ingress_routes dst:1 a()\n");
    const r = await cli(["sim", dir, "--stf", stf], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/t\.stf:1: 'add' needs the P4 program's tables, and .* has no asic\/control\.json/);
  });
});

describe("the asic manifest", () => {
  it("states stages, SRAM/TCAM blocks, PHV bits and tables as the report does, under the schema's asic branch", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "l2_switch.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    const report = JSON.parse(readFileSync(join(dir, "asic/resources.json"), "utf8"));
    const r = manifest.resources;
    expect([r.stages_used, r.sram_blocks, r.tcam_blocks, r.phv_bits, r.phv_bits_total, r.logical_tables]).toEqual([report.stages_used, report.total.sram_blocks, report.total.tcam_blocks, report.phv_bits.used, report.phv_bits.total, report.total.logical_tables]);
    expect(r.tables).toContainEqual({ name: "pipe_dmac", kind: "exact" });
    expect(manifestProblems(manifest)).toEqual([]);
    // The asic branch is strict: a missing figure or an unknown table kind is a schema problem.
    const { phv_bits: _, ...noPhv } = r;
    expect(manifestProblems({ ...manifest, resources: noPhv }).join("\n")).toMatch(/phv_bits/);
    expect(manifestProblems({ ...manifest, resources: { ...r, tables: [{ name: "t", kind: "hash" }] } })).not.toEqual([]);
  });
});

describe("fit errors on the small descriptor", () => {
  for (const name of ["l2_switch", "ipv4_router", "vlan_parser"]) {
    it(`${name}: the error names the unit, the resource and the excess`, async () => {
      const r = await cli(["build", join(CORPUS, `${name}.p4`), "--target", "asic_small", "-o", join(tmp(), "b"), ...entriesOf(name)], ROOT);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/does not fit the asic_small pipeline: .+: .+(over\)|in use)/);
      expectGolden(join(GOLDEN, `${name}.small.fit`), r.stderr);
    });
  }
  it("ebpf_compat fits the small pipeline too", async () => {
    const r = await cli(["build", join(CORPUS, "ebpf_compat.p4"), "--target", "asic_small", "-o", join(tmp(), "b")], ROOT);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("C examples on asic", () => {
  const examples = readdirSync(join(ROOT, "examples")).filter((e) => statSync(join(ROOT, "examples", e)).isDirectory()).sort();
  for (const e of examples) {
    it(`${e}: matches the interpreter on its pcap, or is refused with the constructs`, async () => {
      const ex = join(ROOT, "examples", e);
      const d = tmp();
      const args = ["run", join(ex, "prog.c"), "--pcap", join(ex, "packets.pcap"), "--maps-in", join(ex, "maps.json")];
      const asic = await cli([...args, "--maps-out", join(d, "asic.json"), "--target", "asic"], ROOT);
      if (asic.code === 0) {
        const interp = await cli([...args, "--maps-out", join(d, "interp.json")], ROOT);
        expect(asic.stdout).toBe(interp.stdout);
        expect(readFileSync(join(d, "asic.json"), "utf8")).toBe(readFileSync(join(d, "interp.json"), "utf8"));
      } else {
        expect(asic.stderr).toMatch(/bpfoff: error: .*instruction \d+: /);
        expect(asic.stderr).toMatch(/constructs? the asic pipeline cannot run: the program is refused, not miscompiled/);
      }
      expectGolden(join(GOLDEN, `example-${e}.outcome`), asic.code === 0 ? "compiled; same results as the interpreter\n" : asic.stderr.replaceAll(ROOT + "/", ""));
    });
  }
});

describe("header-length fields: L4 after IPv4 options (ihl * 4)", () => {
  /** Ethernet + IPv4 with `ihl` words of header (options filled with NOPs) + `l4` bytes of ports. */
  const frame = (ihl: number, proto: number, l4: number[]): Uint8Array => {
    const ip = [0x40 | ihl, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...new Array<number>(Math.max(0, ihl * 4 - 20)).fill(1)];
    return Uint8Array.from([...[2, 0, 0, 0, 0, 1], ...[2, 0, 0, 0, 0, 2], 0x08, 0x00, ...ip.slice(0, Math.max(20, ihl * 4)), ...l4]);
  };
  const ports = (src: number, dst: number) => [src >> 8, src & 0xff, dst >> 8, dst & 0xff];
  const prog = join(import.meta.dirname, "programs/l4filter.c");

  it("the IPv4 state has a TCAM row per ihl value, and the ports are found after the options as on the interpreter", async () => {
    const d = tmp();
    const packets: Uint8Array[] = [];
    for (const ihl of [5, 6, 7, 8, 11, 14, 15]) for (const proto of [6, 17]) for (const dst of [23, 7, 80, 443, 1000]) packets.push(frame(ihl, proto, ports(4000 + ihl, dst)));
    packets.push(frame(8, 6, [0x0f, 0xa0]), frame(15, 17, []), frame(3, 6, ports(1, 80)), frame(4, 6, ports(1, 7)), frame(6, 1, ports(1, 80)), frame(0, 6, []));
    writeFileSync(join(d, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: packets.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    // 80 -> XDP_DROP (1), 443 -> XDP_TX (3): the verdict comes from the table.
    writeFileSync(join(d, "maps.json"), JSON.stringify({ verdicts: [{ key: ["0x00", "0x50"], value: ["0x01", "0x00", "0x00", "0x00"] }, { key: ["0x01", "0xbb"], value: ["0x03", "0x00", "0x00", "0x00"] }] }));
    const run = (target: string) => cli(["run", prog, "--pcap", join(d, "in.pcap"), "--maps-in", join(d, "maps.json"), "--out", join(d, `${target}.pcap`), "--target", target], ROOT);
    const [interp, asic] = [await run("interp"), await run("asic")];
    expect(interp.code, interp.stderr).toBe(0);
    expect(asic.code, asic.stderr).toBe(0);
    expect(asic.stdout).toBe(interp.stdout);
    expect(readFileSync(join(d, "asic.pcap"))).toEqual(readFileSync(join(d, "interp.pcap")));
    // Every verdict occurs: the test would not see a wrong offset otherwise.
    for (const v of ["XDP_DROP", "XDP_PASS", "XDP_TX"]) expect(interp.stdout).toContain(v);

    const dir = join(d, "b");
    expect((await cli(["build", prog, "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const parser = JSON.parse(readFileSync(join(dir, "asic/parser.json"), "utf8")) as { states: { cursor: number; rows: { value: string; mask: string }[] }[] };
    const ipv4 = parser.states.find((st) => st.cursor === 14)!;
    // The low nibble of byte 14 (ihl), masked 0f: rows for 5..14, the catch-all row takes 15 (and the ihl < 5 the gateways drop).
    const ihlRows = ipv4.rows.filter((r) => r.mask.startsWith("0f")).map((r) => parseInt(r.value.slice(0, 2), 16));
    expect([...new Set(ihlRows)].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it("an offset that is a computed value, not a few packet bits, is still refused", async () => {
    const src = join(tmp(), "bad.c");
    writeFileSync(src, readFileSync(prog, "utf8").replace("(void *)ip + ip->ihl * 4", "(void *)ip + (ip->tot_len & 0x3f)"));
    const r = await cli(["build", src, "--target", "asic", "-o", join(tmp(), "b")], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a packet offset is not a constant on this path, nor a header-length field of at most 4 packet bits/);
  });
});

describe("the map API on an asic bundle's tables", () => {
  it("update, lookup, delete and dump change the image as the chip's memory, and the model sees it", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "l2_switch.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const table = join(dir, "tables/pipe_dmac.json");
    const stf = join(tmp(), "t.stf");
    writeFileSync(stf, "packet 0 000000000001 000000000002 0800 45000014\nexpect 0 000000000001 000000000002 0800 45000014 $\n");
    expect((await cli(["sim", dir, "--stf", stf], ROOT)).code).toBe(1); // unknown destination: dropped
    // The key as the program builds it: the 48-bit MAC as a little-endian u64; value: forward(1).
    expect((await cli(["map", "update", table, "--key", "0100000000000000", "--value", "0000000001000000"], ROOT)).code).toBe(0);
    const image = JSON.parse(readFileSync(table, "utf8"));
    expect(image.entries).toHaveLength(1);
    expect(image.entries[0].slice(2)).toEqual(["0100000000000000", "0000000001000000"]);
    expect((await cli(["sim", dir, "--stf", stf], ROOT)).code).toBe(0);
    const again = await cli(["map", "update", table, "--key", "0100000000000000", "--value", "0000000001000000", "--flags", "noexist"], ROOT);
    expect(again.stderr).toMatch(/EEXIST/);
    expect((await cli(["map", "lookup", table, "--key", "0100000000000000"], ROOT)).stdout).toBe("key: 01 00 00 00 00 00 00 00  value: 00 00 00 00 01 00 00 00\n");
    expect((await cli(["map", "delete", table, "--key", "0100000000000000"], ROOT)).code).toBe(0);
    expect((await cli(["map", "dump", table], ROOT)).stdout).toBe("Found 0 elements\n");
    expect((await cli(["sim", dir, "--stf", stf], ROOT)).code).toBe(1);
  });

  it("LPM prefixes are TCAM rows, longest first", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(CORPUS, "ipv4_router.p4"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const table = join(dir, "tables/Ingress_routes.json");
    const value = (n: number) => n.toString(16).padStart(2, "0") + "00".repeat(27);
    expect((await cli(["map", "update", table, "--key", "10000000c0a80000", "--value", value(1)], ROOT)).code).toBe(0);
    expect((await cli(["map", "update", table, "--key", "18000000c0a80100", "--value", value(2)], ROOT)).code).toBe(0);
    const rows = JSON.parse(readFileSync(table, "utf8")).rows;
    expect(rows.map((r: { priority: number; mask: string }) => [r.priority, r.mask])).toEqual([[24, "00000000ffffff00"], [16, "00000000ffff0000"]]);
    expect((await cli(["map", "lookup", table, "--key", "20000000c0a80105"], ROOT)).stdout).toMatch(/value: 02/);
    expect((await cli(["map", "lookup", table, "--key", "20000000c0a80205"], ROOT)).stdout).toMatch(/value: 01/);
  });
});

describe("registers as stateful ALU programs (read, then update from the value read)", () => {
  const prog = join(import.meta.dirname, "programs/register.c");
  /** Frames whose source MAC's last byte picks the register element (port = byte & 7). */
  const frames = (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) out.push(Uint8Array.from([4, 0, 0, 0, 0, (i * 37) & 0xff, 2, 0, 0, 0, 0, (i * 13) % 5, 0x08, 0x00, ...new Array<number>((i * 7) % 11).fill(i)]));
    out.push(Uint8Array.from([1, 2, 3]));
    return out;
  };
  type SaluOp = { kind: string; memory: string; alu?: string; cond?: string; data?: unknown[]; then?: SaluOp[]; else?: SaluOp[] };
  const show = (o: SaluOp): string => `${o.kind}${o.alu ? ` ${o.alu}` : ""}${o.cond ? ` ${o.cond} ? [${(o.then ?? []).map(show).join(", ")}] : [${(o.else ?? []).map(show).join(", ")}]` : ""}`;

  it("seq (add), flags (or), last_len (write), max_len (max) and sat (saturating add) give the interpreter's verdicts, packets and registers", async () => {
    const d = tmp();
    writeFileSync(join(d, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames().map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const run = (target: string) => cli(["run", prog, "--pcap", join(d, "in.pcap"), "--maps-out", join(d, `${target}.json`), "--out", join(d, `${target}.pcap`), "--target", target], ROOT);
    const [interp, asic] = [await run("interp"), await run("asic")];
    expect(asic.code, asic.stderr).toBe(0);
    expect(asic.stdout).toBe(interp.stdout);
    // Every fourth packet of a port is dropped: the value read decides the verdict.
    for (const v of ["XDP_DROP", "XDP_TX", "XDP_ABORTED"]) expect(interp.stdout).toContain(v);
    expect(readFileSync(join(d, "asic.json"), "utf8")).toBe(readFileSync(join(d, "interp.json"), "utf8"));
    expect(readFileSync(join(d, "asic.pcap"))).toEqual(readFileSync(join(d, "interp.pcap")));
    // Both outcomes of the SALUs' conditions occurred: sat stopped at 3, max_len is not the last length.
    const regs = JSON.parse(readFileSync(join(d, "interp.json"), "utf8")) as Record<string, { value: string[] }[]>;
    const low = (m: string) => regs[m]!.map((e) => Number(e.value[0]));
    expect(low("sat")).toContain(3);
    expect(low("seq").some((n) => n > 3)).toBe(true);
    expect(low("max_len")).not.toEqual(low("last_len"));

    const dir = join(d, "b");
    expect((await cli(["build", prog, "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const ops = readdirSync(join(dir, "asic"))
      .filter((f) => f.startsWith("stage-"))
      .flatMap((f) => (JSON.parse(readFileSync(join(dir, "asic", f), "utf8")) as { action_tables: { actions: { stateful: SaluOp[] }[] }[] }).action_tables)
      .flatMap((t) => t.actions.flatMap((a) => a.stateful));
    expect(ops.map((o) => [o.memory, show(o), (o.data ?? []).length > 0]).sort()).toEqual([
      ["flags", "rmw or", true],
      ["last_len", "write", false],
      // The condition's polarity is the object's: the codegen's block layout falls into the
      // update and jumps over it on the inverse (`if (len > max) write` is `ule ? [] : [write]`).
      ["max_len", "branch ule ? [] : [write]", true],
      ["sat", "branch uge ? [] : [rmw add]", true],
      ["seq", "rmw add", true],
    ]);
    const trace = await cli(["sim", dir, "--pcap", join(d, "in.pcap"), "--trace"], ROOT);
    expect(trace.stdout).toMatch(/table salu_seq: action seq_0; rmw add seq\[\d\] \d+ -> \d+/);
    expect(trace.stdout).toMatch(/branch sat\[\d\] uge\(3, 3\) = 1/);
    expect(trace.stdout).toMatch(/branch max_len\[\d\] ule\(\d+, \d+\) = 0; write max_len\[\d\] \d+ -> \d+/);
  });

  it("an update that is not one SALU operation on the old value is refused with its instruction", async () => {
    const src = join(tmp(), "two.c");
    writeFileSync(src, readFileSync(prog, "utf8").replace("*v = n + 1;", "*v = (n + 1) ^ eth->h_dest[1];"));
    const r = await cli(["build", src, "--target", "asic", "-o", join(tmp(), "b")], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/instruction \d+: the update of seq computes its new value from the old one by more than one operation/);
    expect(r.stderr).toMatch(/the program is refused, not miscompiled/);
  });

  it("a second condition on the old value is refused (one per SALU), and so is a condition on a value computed from it", async () => {
    const text = readFileSync(prog, "utf8");
    expect(text).toContain("\t\t\t*st = s + 1;");
    const nested = join(tmp(), "nested.c");
    writeFileSync(nested, text.replace("\t\t\t*st = s + 1;", "\t\t\t*st = s == 1 ? 7 : s + 1;"));
    const r = await cli(["build", nested, "--target", "asic", "-o", join(tmp(), "b")], ROOT);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/instruction \d+: sat: its operations under a condition on its own value differ with a later condition/);
    const part = join(tmp(), "part.c");
    writeFileSync(part, text.replace("\t\tif (s < 3)", "\t\tif ((s >> 1) < 3)"));
    const p = await cli(["build", part, "--target", "asic", "-o", join(tmp(), "b")], ROOT);
    expect(p.code, p.stdout + p.stderr).toBe(1);
    expect(p.stderr).toMatch(/sat \(instruction \d+\): its update depends on a condition on its own value/);
  });
});

describe("P4 register.read then write: the SALU reads, compares and updates", () => {
  it("flow_stats with lastFlow as a saturating per-port count (read, a conditional write, the value read deciding the verdict) matches the interpreter", async () => {
    const d = tmp();
    const text = readFileSync(join(CORPUS, "flow_stats.p4"), "utf8");
    const write = "            lastFlow.write(imd.input_port, h);";
    expect(text).toContain(write);
    const src = join(d, "flow_rmw.p4");
    writeFileSync(src, text.replace(write, ["            bit<32> seen;", "            lastFlow.read(seen, imd.input_port);", "            if (seen < 3) {", "                lastFlow.write(imd.input_port, seen + 1);", "            }", "            if (seen == 2) {", "                omd.output_action = xdp_action.XDP_TX;", "                return;", "            }"].join("\n")));
    const packets = parseStf(readFileSync(join(CORPUS, "flow_stats.stf"), "utf8"), "t.stf").flatMap((c) => (c.cmd === "packet" ? [c.data] : []));
    writeFileSync(join(d, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: [...packets, ...packets, ...packets].map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const run = (target: string) => cli(["run", src, "--pcap", join(d, "in.pcap"), "--maps-out", join(d, `${target}.json`), "--target", target], ROOT);
    const [interp, asic] = [await run("interp"), await run("asic")];
    expect(asic.code, asic.stderr).toBe(0);
    expect(asic.stdout).toBe(interp.stdout);
    expect(interp.stdout).toContain("XDP_TX");
    expect(readFileSync(join(d, "asic.json"), "utf8")).toBe(readFileSync(join(d, "interp.json"), "utf8"));
  });
});

describe("data-plane learning whose result the program tests (examples/counter)", () => {
  const ex = join(ROOT, "examples/counter");

  it("the insert's success is a bit of the PHV; the trace shows the learn and the counts", async () => {
    const dir = join(tmp(), "b");
    expect((await cli(["build", join(ex, "prog.c"), "--target", "asic", "-o", dir], ROOT)).code).toBe(0);
    const stateful = readdirSync(join(dir, "asic"))
      .filter((f) => f.startsWith("stage-"))
      .flatMap((f) => (JSON.parse(readFileSync(join(dir, "asic", f), "utf8")) as { action_tables: { actions: { stateful: { kind: string; flags?: number; out?: unknown }[] }[] }[] }).action_tables)
      .flatMap((t) => t.actions.flatMap((a) => a.stateful));
    expect(stateful.find((s) => s.kind === "insert")).toMatchObject({ flags: 1, out: { c: expect.stringMatching(/^B\d+$/) } });
    const t = await cli(["sim", dir, "--pcap", join(ex, "packets.pcap"), "--trace"], ROOT);
    expect(t.stdout).toMatch(/learn counters\[[0-9a-f]{8}\] inserted/);
    expect(t.stdout).toMatch(/direct counters\[\d+\] 1 -> 2/);
  });

  it("the result used other than compared with 0, or a lookup after an insert that may have succeeded, is refused", async () => {
    const text = readFileSync(join(ex, "prog.c"), "utf8");
    const call = "bpf_map_update_elem(&counters, &saddr, &first, BPF_NOEXIST) != 0";
    expect(text).toContain(call);
    for (const [variant, message] of [
      [text.replace(call, "bpf_map_update_elem(&counters, &saddr, &first, BPF_NOEXIST) == -17"), /the result of map.update of counters is used other than compared with 0/],
      [text.replace(call, "bpf_map_update_elem(&counters, &saddr, &first, BPF_NOEXIST) >= 0"), /a lookup in counters after the data plane inserted into it on this path/],
    ] as const) {
      const src = join(tmp(), "prog.c");
      writeFileSync(src, variant);
      const r = await cli(["build", src, "--target", "asic", "-o", join(tmp(), "b")], ROOT);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
