// The match-action recovery (backends/asic/analysis) on IR text: fields assembled byte by
// byte stay fields (no ALU work), a lookup becomes a table keyed by those packet bits,
// conditions become atoms shared between paths, and what the pipeline cannot run is
// listed with its reason.
import { describe, expect, it } from "vitest";
import { parseIr } from "../../../ir/text/read.js";
import { recover } from "../../../backends/asic/analysis/paths.js";
import * as B from "../../../backends/asic/analysis/bits.js";

const HEAD = `module xdp
map @dmac hash key=8 value=4 entries=64 flags=0

func @main {
entry(%0: ptr.ctx):
  %1 = frame : ptr.stack
  %2 = ctx.get %0, data : ptr.packet
  %3 = ctx.get %0, data_end : ptr.packet
  %4 = packet.check %2, %3, 14 : i1
  br_if %4, parsed, short
short:
  ret 1
`;

describe("the bit domain", () => {
  it("byte-by-byte assembly with shifts and ors is the packet bits themselves", () => {
    let v: B.Bits = B.widen(B.packetByte("eth", 0));
    for (let i = 1; i < 6; i++) v = B.bitwise("or", B.shl(v, 8), B.widen(B.packetByte("eth", i)))!;
    expect(v.slice(0, 8)).toEqual(B.packetByte("eth", 5));
    expect(v.slice(40, 48)).toEqual(B.packetByte("eth", 0));
    expect(v.slice(48).every((b) => b === 0)).toBe(true);
  });
  it("and with a constant selects bits, be16 swaps bytes, two labels or'ed at one position need an ALU", () => {
    expect(B.bitwise("and", B.widen(B.packetByte("ip", 0)), B.constBits(0xfn))!.slice(0, 8)).toEqual(["p:ip:0:0", "p:ip:0:1", "p:ip:0:2", "p:ip:0:3", 0, 0, 0, 0]);
    const load16 = B.widen([...B.packetByte("eth", 12), ...B.packetByte("eth", 13)]);
    expect(B.bswap(load16, 2).slice(0, 8)).toEqual(B.packetByte("eth", 13));
    expect(B.bitwise("or", B.widen(B.packetByte("eth", 1)), B.widen(B.packetByte("eth", 2)))).toBeUndefined();
  });
});

describe("recovery from IR", () => {
  it("a MAC built byte by byte keys a table on packet bytes 0..5, and the hit is one atom", () => {
    const m = parseIr(`${HEAD}parsed:
  %5 = load.u8 packet, %2, 0 : i64
  %6 = shl %5, 8 : i64
  %7 = load.u8 packet, %2, 1 : i64
  %8 = or %6, %7 : i64
  %9 = shl %8, 8 : i64
  %10 = load.u8 packet, %2, 2 : i64
  %11 = or %9, %10 : i64
  %12 = shl %11, 8 : i64
  %13 = load.u8 packet, %2, 3 : i64
  %14 = or %12, %13 : i64
  %15 = shl %14, 8 : i64
  %16 = load.u8 packet, %2, 4 : i64
  %17 = or %15, %16 : i64
  %18 = shl %17, 8 : i64
  %19 = load.u8 packet, %2, 5 : i64
  %20 = or %18, %19 : i64
  store.u64 stack, %1, -8, %20
  %21 = ptradd %1, -8 : ptr.stack
  %22 = map.lookup @dmac, %21 : ptr.map_value
  %23 = icmp.ne %22, 0 : i1
  br_if %23, hit, miss
hit:
  %24 = load.u32 map_value, %22, 0 : i64
  ret %24
miss:
  ret 1
}
`);
    const r = recover(m);
    expect(r.problems).toEqual([]);
    expect(r.temps).toEqual([]); // no ALU work: the key is fields
    expect(r.tables).toHaveLength(1);
    // The bytes are named by the check that proved them (the entry block's packet.check, no BPF origin in IR text).
    expect(r.tables[0]!.key.slice(0, 8)).toEqual(B.packetByte("entry.3", 5));
    expect(r.tables[0]!.key.slice(40, 48)).toEqual(B.packetByte("entry.3", 0));
    expect(r.paths).toHaveLength(3);
    expect(r.atoms.map((a) => a.kind)).toEqual(["len", "hit"]);
    // The bounds check is the Ethernet header's validity on every path that took it.
    expect(r.paths.every((p) => p.atoms.filter((a) => r.atoms[a.atom]!.kind === "len").every((a) => a.valid === "entry.3"))).toBe(true);
    const hitPath = r.paths.find((p) => p.atoms.some((a) => r.atoms[a.atom]!.kind === "hit" && a.value))!;
    expect(hitPath.verdict.slice(0, 8)).toEqual(["t:0:0:0", "t:0:0:1", "t:0:0:2", "t:0:0:3", "t:0:0:4", "t:0:0:5", "t:0:0:6", "t:0:0:7"]);
  });

  it("a header found at two offsets (after a VLAN tag or not) is one instance: the same labels, its bounds check its validity", () => {
    const m = parseIr(`${HEAD}parsed:
  %5 = load.u8 packet, %2, 12 : i64
  %6 = icmp.eq %5, 129 : i1
  br_if %6, tagged, untagged
tagged:
  br l3(18)
untagged:
  br l3(14)
l3(%7: i64):
  %8 = ptradd %2, %7 : ptr.packet
  %9 = packet.check %8, %3, 20 : i1
  br_if %9, ip, short
ip:
  %10 = load.u8 packet, %8, 9 : i64
  %11 = icmp.eq %10, 6 : i1
  br_if %11, tcp, other
tcp:
  ret 2
other:
  ret 3
}
`);
    const r = recover(m);
    expect(r.problems).toEqual([]);
    // One comparison of the protocol byte, whichever offset the path found IPv4 at (23 or 27).
    const proto = r.atoms.filter((a) => a.kind === "cmp" && a.b.slice(0, 8).every((q) => q === 0 || q === 1) && B.toBigInt(a.b) === 6n);
    expect(proto).toHaveLength(1);
    expect((proto[0] as { a: B.Bits }).a.slice(0, 8)).toEqual(B.packetByte("l3.1", 9));
    // Both IPv4 bounds checks (pkt_len >= 34 and >= 38: two atoms) are the validity of instance l3.1.
    const ipChecks = r.paths.flatMap((p) => p.atoms.filter((a) => a.valid === "l3.1"));
    expect(new Set(ipChecks.map((a) => r.atoms[a.atom]!.kind === "len" && (r.atoms[a.atom] as { n: number }).n))).toEqual(new Set([34, 38]));
    // The path records where it found the header: byte 9 at 23 untagged, 27 tagged.
    const at = r.paths.filter((p) => p.atoms.some((a) => a.valid === "l3.1" && a.value)).map((p) => [...p.bytes].find(([, l]) => l === "p:l3.1:9")![0]);
    expect(new Set(at)).toEqual(new Set([23, 27]));
  });

  it("lists every construct it cannot run, with its reason", () => {
    const m = parseIr(`${HEAD}parsed:
  %5 = load.u8 packet, %2, 0 : i64
  %6 = load.u8 packet, %2, 1 : i64
  %7 = mul %5, %6 : i64
  %8 = icmp.eq %7, 6 : i1
  br_if %8, a, b
a:
  %9 = call.helper 5 : i64
  ret %9
b:
  ret 2
}
`);
    const msgs = recover(m).problems.map((p) => p.message);
    expect(msgs.some((s) => /mul of two computed values/.test(s))).toBe(true);
  });
});
