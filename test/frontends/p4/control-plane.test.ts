// The P4 control plane: entries (JSON or STF `add`) in each map kind's layout
// (frontends/p4/tables.ts), and `--entries` on run and build: the bundle's map images hold
// the entries, and the built object run with them behaves as the P4 source run with them.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeDefault, encodeEntry, parseEntriesJson, parseFieldMatch, rangeToTernary } from "../../../frontends/p4/entries.js";
import type { TableInfo } from "../../../frontends/p4/tables.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { writePcap } from "../../../runtime/packet/pcap.js";
import { REPO } from "../../support/conformance.js";
import { runCli } from "../../support/cli.js";

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("hex") : undefined);
const table = (mapKind: TableInfo["mapKind"], keys: TableInfo["keys"]): TableInfo => ({
  mapName: "c_t", control: "c", table: "t", keys, mapKind, size: 16,
  actions: [{ name: "NoAction", params: [] }, { name: "set", params: [{ name: "port", width: 9 }, { name: "mac", width: 48 }] }],
});

describe("entry layouts", () => {
  it("hash: fields aligned to their size, host order; value: action index then parameters", () => {
    const t = table("hash", [{ name: "h.a", kind: "exact", width: 8 }, { name: "h.b", kind: "exact", width: 32 }]);
    const { entries: [entry] } = encodeEntry([t], { table: "c_t", match: new Map([["h.a", { value: 0x12n }], ["field1", { value: 0xa0b0c0dn }]]), action: "set", params: [5n, 0x0102030405n] });
    expect(hex(entry!.key)).toBe("120000000d0c0b0a");
    expect(hex(entry!.value)).toBe("01000000" + "0500" + "0000" + "0504030201000000");
    expect(entry!.mask).toBeUndefined();
  });

  it("lpm_trie: u32 prefixlen (exact fields count whole) then network order, lpm last", () => {
    const t = table("lpm_trie", [{ name: "vrf", kind: "exact", width: 12 }, { name: "dst", kind: "lpm", width: 32 }]);
    const { entries: [entry] } = encodeEntry([t], { table: "c.t", match: new Map([["vrf", { value: 3n }], ["dst", parseFieldMatch("10.1.0.0/16", {})]]), action: "NoAction", params: [] });
    // vrf: 12 bits left-aligned in 2 bytes (0x0030), counted as 16 prefix bits
    expect(hex(entry!.key)).toBe("20000000" + "0030" + "0a010000");
  });

  it("tcam: value and mask in network order, with the priority", () => {
    const t = table("tcam", [{ name: "proto", kind: "ternary", width: 8 }, { name: "port", kind: "exact", width: 16 }]);
    const { entries: [entry] } = encodeEntry([t], { table: "t", match: new Map([["proto", parseFieldMatch("6&&&0xff", {})], ["port", { value: 80n }]]), action: "NoAction", params: [], priority: 7 });
    expect([hex(entry!.key), hex(entry!.mask), entry!.priority]).toEqual(["060050", "ffffff", 7]);
  });

  it("tcam: p4c's STF ternary constants (* don't-care digits) mask the digits written", () => {
    expect(parseFieldMatch("0x0a**", {})).toEqual({ value: 0x0a00n, mask: 0xff00n });
    expect(parseFieldMatch("0b1*0", {})).toEqual({ value: 0b100n, mask: 0b101n });
    expect(parseFieldMatch("0x**01", {})).toEqual({ value: 0x01n, mask: 0xffn });
  });

  it("range: a range key's entry becomes the rows of its minimal prefix cover, one priority", () => {
    const t = table("tcam", [{ name: "dport", kind: "range", width: 16 }, { name: "proto", kind: "exact", width: 8 }]);
    const { entries } = encodeEntry([t], { table: "t", match: new Map([["dport", parseFieldMatch("1000..1999", {})], ["proto", { value: 6n }]]), action: "NoAction", params: [], priority: 3 });
    // 1000..1999: 1000-1007, 1008-1023, 1024-1535, 1536-1791, 1792-1919, 1920-1983, 1984-1999
    expect(entries.map((e) => [hex(e.key), hex(e.mask), e.priority])).toEqual([
      ["03e806", "fff8ff", 3], ["03f006", "fff0ff", 3], ["040006", "fe00ff", 3], ["060006", "ff00ff", 3], ["070006", "ff80ff", 3], ["078006", "ffc0ff", 3], ["07c006", "fff0ff", 3],
    ]);
    // One value is the range value..value; no range is a wildcard; the full range is one row.
    expect(encodeEntry([t], { table: "t", match: new Map([["dport", { value: 80n }], ["proto", { value: 6n }]]), action: "NoAction", params: [] }).entries.map((e) => hex(e.mask))).toEqual(["ffffff"]);
    expect(encodeEntry([t], { table: "t", match: new Map([["proto", { value: 6n }]]), action: "NoAction", params: [] }).entries.map((e) => hex(e.mask))).toEqual(["0000ff"]);
    expect(encodeEntry([t], { table: "t", match: new Map([["dport", { value: 0n, high: 0xffffn }], ["proto", { value: 6n }]]), action: "NoAction", params: [] }).entries.map((e) => hex(e.mask))).toEqual(["0000ff"]);
    // Two range keys: the cross product.
    const t2 = table("tcam", [{ name: "a", kind: "range", width: 8 }, { name: "b", kind: "range", width: 8 }]);
    expect(encodeEntry([t2], { table: "t", match: new Map([["a", parseFieldMatch("1..2", {})], ["b", parseFieldMatch("3..5", {})]]), action: "NoAction", params: [] }).entries.length).toBe(4);
  });

  it("range: the cover matches exactly the range (every range on 6 bits)", () => {
    for (let lo = 0n; lo < 64n; lo++) {
      for (let hi = lo; hi < 64n; hi++) {
        const rows = rangeToTernary(lo, hi, 6);
        expect(rows.length).toBeLessThanOrEqual(10);
        for (let x = 0n; x < 64n; x++) expect([lo, hi, x, rows.some((r) => (x & r.mask) === r.value)]).toEqual([lo, hi, x, x >= lo && x <= hi]);
      }
    }
  });

  it("range: P4Runtime JSON {range: {low, high}}, flat {low, high} and \"lo..hi\"", () => {
    const es = parseEntriesJson(JSON.stringify({ entries: [{ table: "t", match: { a: { range: { low: 1, high: "0x10" } }, b: { low: 2, high: 3 }, c: "4..5" }, action: "NoAction" }] }), "e.json");
    expect([...es[0]!.match.values()]).toEqual([{ value: 1n, high: 16n }, { value: 2n, high: 3n }, { value: 4n, high: 5n }]);
  });

  it("default actions: index + 1 then the data in the default map's one element; none for a const default", () => {
    const t = { ...table("hash", [{ name: "h.a", kind: "exact", width: 8 }]), defaultMap: "c_t_defaultAction" };
    const { map, entry } = encodeDefault([t], { table: "c_t", action: "set", params: [5n, 0x0102030405n] });
    expect([map, hex(entry.key), hex(entry.value)]).toEqual(["c_t_defaultAction", "00000000", "02000000" + "0500" + "0000" + "0504030201000000"]);
    expect(() => encodeDefault([{ ...t, defaultMap: undefined }], { table: "c_t", action: "NoAction", params: [] })).toThrow(/the default action of c_t is const/);
    const es = parseEntriesJson(JSON.stringify({ entries: [{ table: "c_t", action: "set", params: [1, 2], is_default_action: true }] }), "e.json");
    expect(es[0]!.isDefault).toBe(true);
    expect(() => parseEntriesJson(JSON.stringify({ entries: [{ table: "c_t", match: { "h.a": 1 }, action: "set", is_default_action: true }] }), "e.json")).toThrow(/entry 1: a default action \(is_default_action\) takes no match/);
  });

  it("value sets: members without an action, a u32 0 as the value", () => {
    const vs: TableInfo = { mapName: "prs_types", control: "prs", table: "types", keys: [{ name: "field0", kind: "exact", width: 16 }], actions: [], mapKind: "hash", size: 4, valueSet: true };
    const [member] = parseEntriesJson(JSON.stringify({ entries: [{ table: "prs_types", match: { field0: "0x88b5" } }] }), "e.json");
    const { entries } = encodeEntry([vs], member!);
    expect([hex(entries[0]!.key), hex(entries[0]!.value)]).toEqual(["b588", "00000000"]);
    expect(() => encodeEntry([vs], { ...member!, action: "drop" })).toThrow(/prs_types is a value set: its entries are members, with no action/);
    expect(() => encodeEntry([table("hash", [{ name: "h.a", kind: "exact", width: 8 }])], { table: "t", match: new Map([["h.a", { value: 1n }]]), action: "", params: [] })).toThrow(/an entry of table c_t needs an action \(actions: NoAction, set\)/);
  });

  it("refuses what does not fit, naming the table, key or action", () => {
    const t = table("hash", [{ name: "h.a", kind: "exact", width: 8 }]);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as DiagnosticError).diagnostics[0]!.message;
      }
      return "no error";
    };
    expect(err(() => encodeEntry([t], { table: "nope", match: new Map(), action: "NoAction", params: [] }))).toMatch(/no table 'nope'/);
    expect(err(() => encodeEntry([t], { table: "t", match: new Map([["h.a", { value: 256n }]]), action: "NoAction", params: [] }))).toMatch(/does not fit key h.a \(bit<8>\)/);
    expect(err(() => encodeEntry([t], { table: "t", match: new Map([["h.a", { value: 1n, mask: 0xfn }]]), action: "NoAction", params: [] }))).toMatch(/exact match/);
    expect(err(() => encodeEntry([t], { table: "t", match: new Map([["h.a", { value: 1n }]]), action: "set", params: [1n] }))).toMatch(/takes 2 parameters/);
    expect(err(() => parseEntriesJson("{", "e.json"))).toMatch(/e.json is not JSON/);
    const r = table("tcam", [{ name: "p", kind: "range", width: 8 }, { name: "q", kind: "ternary", width: 8 }]);
    expect(err(() => encodeEntry([r], { table: "t", match: new Map([["p", { value: 9n, high: 3n }]]), action: "NoAction", params: [] }))).toMatch(/range 9\.\.3 of key p is empty/);
    expect(err(() => encodeEntry([r], { table: "t", match: new Map([["p", { value: 1n, mask: 3n }]]), action: "NoAction", params: [] }))).toMatch(/key p of c_t is a range match: give low\.\.high/);
    expect(err(() => encodeEntry([r], { table: "t", match: new Map([["q", { value: 1n, high: 3n }]]), action: "NoAction", params: [] }))).toMatch(/key q of c_t is a ternary match: it takes no range/);
    expect(err(() => encodeEntry([r], { table: "t", match: new Map([["p", { value: 1n, high: 256n }]]), action: "NoAction", params: [] }))).toMatch(/does not fit key p/);
  });
});

describe("--entries", () => {
  const corpus = "test/frontends/p4/corpus";
  it("run on the P4 source and on the built bundle (with its map images) agree packet for packet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-entries-"));
    const packets = readFileSync(join(REPO, corpus, "ipv4_router.stf"), "utf8").split("\n").filter((l) => l.startsWith("packet")).map((l) => Uint8Array.from(Buffer.from(l.split(/\s+/).slice(2).join(""), "hex")));
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: packets.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const src = await runCli(["run", `${corpus}/ipv4_router.p4`, "--pcap", join(dir, "in.pcap"), "--entries", `${corpus}/ipv4_router.entries.json`, "--out", join(dir, "src.pcap")], REPO);
    expect(src.stderr).toBe("");
    expect(src.stdout).toContain("packet 1: 38 bytes in, 38 out, r0=0x4, to ifindex 3, XDP_REDIRECT");
    const built = await runCli(["build", `${corpus}/ipv4_router.p4`, "--target", "bpf", "-o", join(dir, "b"), "--entries", `${corpus}/ipv4_router.entries.json`], REPO);
    expect(built.stderr).toBe("");
    const obj = await runCli(["run", join(dir, "b/prog.o"), "--pcap", join(dir, "in.pcap"), "--maps-in", join(dir, "b/maps/maps.json"), "--out", join(dir, "obj.pcap")], REPO);
    expect(obj.stdout).toBe(src.stdout);
    expect(readFileSync(join(dir, "obj.pcap"))).toEqual(readFileSync(join(dir, "src.pcap")));
  });

  it("a bad entries file is one error with the file's name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-entries-"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ entries: [{ table: "Ingress_routes", match: { nothere: "1" }, action: "drop" }] }));
    const r = await runCli(["build", `${corpus}/ipv4_router.p4`, "--target", "bpf", "-o", join(dir, "b"), "--entries", join(dir, "bad.json")], REPO);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: .*bad\.json: table Ingress_routes has no key 'nothere' \(keys: hdr\.ipv4\.dstAddr = field0\)\n$/);
  });
});
