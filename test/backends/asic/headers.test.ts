// Header instances on the asic pipeline (docs/asic-pipeline.md §Header instances, §Parser,
// §PHV, §Deparser, §Hash units): a header found at several offsets has one PHV home that
// every parser state extracting it writes; the parser sets a validity bit per header, which
// the path table keys on instead of pkt_len gateways; bytes nobody needs are skipped; a
// varbit extracted byte by byte is one state per length; XORs of fields are hash-unit ops.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as cli } from "../../support/cli.js";
import { writePcap } from "../../../runtime/packet/pcap.js";
import * as B from "../../../backends/asic/analysis/bits.js";
import type { BitRef, ParserConfig, StageConfig } from "../../../backends/asic/config.js";

const ROOT = join(import.meta.dirname, "../../..");
const CORPUS = join(ROOT, "test/frontends/p4/corpus");
const tmp = () => mkdtempSync(join(tmpdir(), "bpfoff-asic-headers-"));

async function build(src: string): Promise<{ parser: ParserConfig; stages: StageConfig[] }> {
  const dir = join(tmp(), "b");
  const r = await cli(["build", src, "--target", "asic", "-o", dir], ROOT);
  expect(r.code, r.stderr).toBe(0);
  const parser = JSON.parse(readFileSync(join(dir, "asic/parser.json"), "utf8")) as ParserConfig;
  const resources = JSON.parse(readFileSync(join(dir, "asic/resources.json"), "utf8")) as { stages_used: number };
  const stages = Array.from({ length: resources.stages_used }, (_, s) => JSON.parse(readFileSync(join(dir, `asic/stage-${String(s).padStart(2, "0")}.json`), "utf8")) as StageConfig);
  return { parser, stages };
}

const key = (r: BitRef | undefined) => (r ? `${r.c}.${r.bit}` : "none");
const containers = (st: ParserConfig["states"][number]) => [...st.extract, ...(st.then ?? []).flatMap((h) => h.extract)].map((x) => `${x.c}@${x.at ?? 0}+${x.bytes}`).sort();

describe("one PHV home per header instance", () => {
  it("vlan_parser: the states that extract a header at 14, 18 or 22 write the same containers and set the same validity bit", async () => {
    const { parser } = await build(join(CORPUS, "vlan_parser.p4"));
    const byHeader = new Map<string, ParserConfig["states"][number][]>();
    for (const st of parser.states) if (st.valid) byHeader.set(key(st.valid), [...(byHeader.get(key(st.valid)) ?? []), st]);
    const moved = [...byHeader.values()].filter((sts) => new Set(sts.map((s) => s.cursor)).size > 1);
    // The inner VLAN tag at 18, IPv4 at 14/18/22, UDP after it: each at several offsets.
    expect(moved.length).toBeGreaterThanOrEqual(2);
    expect(moved.some((sts) => new Set(sts.map((s) => s.cursor)).size === 3)).toBe(true);
    for (const sts of moved) for (const st of sts) expect(containers(st)).toEqual(containers(sts[0]!));
  });

  it("l4filter: the L4 ports after 0..40 bytes of options are one home, so `verdicts` is one logical table", async () => {
    const { stages } = await build(join(import.meta.dirname, "programs/l4filter.c"));
    expect(stages.flatMap((s) => s.match_tables).map((t) => t.name)).toEqual(["verdicts"]);
  });
});

describe("PHV overlay", () => {
  it("flow_stats: IPv4 and IPv6 after Ethernet, never both extracted from one packet, share containers", async () => {
    const { parser } = await build(join(CORPUS, "flow_stats.p4"));
    const l3 = parser.states.filter((st) => st.cursor === 14);
    expect(new Set(l3.map((st) => key(st.valid))).size).toBe(2);
    const [a, b] = l3.map((st) => new Set(st.extract.map((x) => x.c)));
    expect([...a!].filter((c) => b!.has(c)).length).toBeGreaterThanOrEqual(5); // IPv4's 20 bytes in IPv6's first 5 words
    // Ethernet is extracted with either: it shares with neither.
    const eth = new Set(parser.states[parser.start]!.extract.map((x) => x.c));
    expect([...eth].some((c) => a!.has(c) || b!.has(c))).toBe(false);
  });
});

describe("validity bits", () => {
  it("l2_switch: the Ethernet bounds check is the parser's validity bit, which gates the tables, not a pkt_len gateway", async () => {
    const { parser, stages } = await build(join(CORPUS, "l2_switch.p4"));
    const eth = parser.states[parser.start]!;
    expect(eth.valid).toBeDefined();
    expect(stages.flatMap((s) => s.gateways).filter((g) => g.cond === "len" || (g.cond === "uge" && g.width === 16))).toEqual([]);
    // The dmac table is applied only to packets whose Ethernet header the parser extracted.
    const dmac = stages.flatMap((s) => s.match_tables).find((t) => t.name === "pipe_dmac")!;
    const col = dmac.when!.key.findIndex((r) => key(r) === key(eth.valid));
    expect(col).toBeGreaterThanOrEqual(0);
    expect(dmac.when!.rows.map((r) => r[col])).toEqual(["1"]);
    // The verdict's selection tells a packet shorter than Ethernet (validity 0) from a full one (1).
    const verdict = stages.flatMap((s) => s.action_tables).find((t) => t.name === "select_verdict")!;
    const vcol = verdict.key.findIndex((r) => key(r) === key(eth.valid));
    expect(vcol).toBeGreaterThanOrEqual(0);
    expect(verdict.rows.some((r) => r.match[vcol] !== "x")).toBe(true);
  });
});

describe("IPv4 options as a chip's parser takes them", () => {
  /** Ethernet + IPv4 with `ihl` words (options NOPs) + the ports. */
  const frame = (ihl: number, dst: number): Uint8Array => {
    const ip = [0x40 | ihl, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...new Array<number>(ihl * 4 - 20).fill(1)];
    return Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00, ...ip, 0x0f, 0xa0, dst >> 8, dst & 0xff, 0xaa]);
  };

  it("skipped when no path reads or emits them: each ihl row's state extracts the destination port only, after the options", async () => {
    const d = tmp();
    const src = join(d, "l4drop.c");
    // l4filter without the echo reply: nothing writes the packet, so the deparser needs no header byte.
    const text = readFileSync(join(import.meta.dirname, "programs/l4filter.c"), "utf8");
    const echo = text.indexOf("\tif (dport == bpf_htons(7)) {");
    writeFileSync(src, text.slice(0, echo) + "\treturn XDP_PASS;\n}\n\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n");
    const { parser } = await build(src);
    const l4 = parser.states.filter((st) => st.cursor === 34);
    expect(l4.map((st) => st.needs).sort((a, b) => a - b)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44]);
    for (const st of l4) expect(st.extract.map((x) => [x.from, x.bytes])).toEqual([[st.needs - 2, 2]]);
    // And the verdicts are the interpreter's, for every option length.
    const packets = [5, 6, 9, 15].flatMap((ihl) => [80, 23, 1000].map((dst) => frame(ihl, dst)));
    writeFileSync(join(d, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: packets.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    writeFileSync(join(d, "maps.json"), JSON.stringify({ verdicts: [{ key: ["0x00", "0x50"], value: ["0x03", "0x00", "0x00", "0x00"] }] }));
    const run = (target: string) => cli(["run", src, "--pcap", join(d, "in.pcap"), "--maps-in", join(d, "maps.json"), "--target", target], ROOT);
    const [interp, asic] = [await run("interp"), await run("asic")];
    expect(asic.code, asic.stderr).toBe(0);
    expect(asic.stdout).toBe(interp.stdout);
    for (const v of ["XDP_DROP", "XDP_PASS", "XDP_TX"]) expect(interp.stdout).toContain(v);
  });

  it("ipv4_options reads them: a row per ihl value goes to one state extracting (ihl - 5) * 4 bytes, byte by byte's checks joined", async () => {
    const { parser } = await build(join(CORPUS, "ipv4_options.p4"));
    const ipv4 = parser.states.find((st) => st.cursor === 14)!;
    const byIhl = new Map(ipv4.rows.filter((r) => r.mask.startsWith("0f")).map((r) => [parseInt(r.value.slice(0, 2), 16), r.next]));
    for (let ihl = 6; ihl <= 14; ihl++) {
      const next = byIhl.get(ihl);
      expect(typeof next, `ihl ${ihl}`).toBe("number");
      // The first state of the options (the lookahead is 32 bytes: 40 bytes take two).
      let st = parser.states[next as number]!, bytes = 0;
      for (;;) {
        bytes += [...st.extract, ...(st.then ?? []).flatMap((h) => h.extract)].reduce((n, x) => n + x.bytes, 0);
        const on = st.rows.find((r) => r.next !== "accept");
        if (!on) break;
        st = parser.states[on.next as number]!;
      }
      expect(bytes, `ihl ${ihl}`).toBe((ihl - 5) * 4);
    }
    expect(parser.states.length).toBeLessThan(20);
  });
});

describe("hash units", () => {
  it("XOR of fields is exact in the bit domain; a NOT is an XOR with 1; x ^ x is 0", () => {
    const a = B.widen(B.packetByte("eth", 0)), b = B.widen(B.packetByte("eth", 1));
    const x = B.bitwise("xor", a, b)!;
    expect(x[0]).toBe("^p:eth:0:0^p:eth:1:0");
    expect(B.bitwise("xor", x, b)!.slice(0, 8)).toEqual(B.packetByte("eth", 0));
    expect(B.bitwise("xor", a, B.constBits(1n))![0]).toBe("^1^p:eth:0:0");
    expect(B.bitwise("xor", x, x)!.every((q) => q === 0)).toBe(true);
    // A hash unit's rows: parity of the selected input bits.
    expect(B.hashValue(["11", "10", "01"], 0b11n)).toBe(0b110n);
  });

  it("mpls_stack: the CRC-32 and CRC-16 of the Ethernet addresses are two hash ops over their 96 bits", async () => {
    const { stages } = await build(join(CORPUS, "mpls_stack.p4"));
    const hashes = stages.flatMap((s) => s.action_tables.flatMap((t) => t.actions.flatMap((a) => a.ops))).filter((o) => o.op === "hash");
    expect(hashes.map((h) => h.rows!.length).sort((a, b) => a - b)).toEqual([16, 32]);
    for (const h of hashes) expect(h.a.reduce((n, s) => n + ("c" in s ? s.n : 0), 0)).toBe(96);
  });
});
