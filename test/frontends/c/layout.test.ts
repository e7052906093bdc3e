// Struct layout against clang's BPF target: sizeof, _Alignof and offsetof of the UAPI
// structs (unions, anonymous members, __attribute__((aligned)), flexible arrays) and of
// packed, aligned and bit-field structs, written as .rodata constants and compared byte
// for byte with clang's object; bit-field placement compared through initialised .data.
import { describe, expect, it } from "vitest";
import { compileC } from "../../../frontends/c/compile.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { clangBpfSource, HAS_CLANG } from "../../support/clang.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const HAS_CPP = hasTool("cpp");

const HEADERS = `#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
`;

const OWN_TYPES = `
struct packed_one { __u8 a; __u32 b; __u16 c; } __attribute__((packed));
struct aligned_one { __u8 a; __u32 b __attribute__((aligned(16))); __u8 c; };
struct bits { __u8 a : 3, b : 4; __u16 c : 9; __u32 d : 20, : 0, e : 1; __u64 f : 40; __u8 g; };
struct anon { int x; union { __u32 u; __u8 bytes[4]; }; struct { __u16 p, q; } pq; };
struct nested { struct anon a[3]; char tail; };
typedef struct { long l; char c; } aligned_t __attribute__((aligned(32)));
struct with_typedef { char c; aligned_t t; };
`;

/** (expression, what) rows: each becomes one 8-byte .rodata value. */
const ROWS: readonly string[] = [
  ...["struct ethhdr", "struct iphdr", "struct ipv6hdr", "struct tcphdr", "struct udphdr", "struct xdp_md", "struct __sk_buff", "struct bpf_fib_lookup", "struct bpf_sock_tuple",
    "struct bpf_spin_lock", "struct bpf_lpm_trie_key", "struct in6_addr", "struct bpf_sock", "struct bpf_tunnel_key", "struct bpf_xfrm_state", "union bpf_attr",
    "struct packed_one", "struct aligned_one", "struct bits", "struct anon", "struct nested", "aligned_t", "struct with_typedef"].flatMap((t) => [`sizeof(${t})`, `_Alignof(${t})`]),
  "offsetof(struct iphdr, saddr)", "offsetof(struct iphdr, daddr)", "offsetof(struct iphdr, check)", "offsetof(struct ipv6hdr, saddr)", "offsetof(struct ipv6hdr, daddr)",
  "offsetof(struct tcphdr, window)", "offsetof(struct tcphdr, check)", "offsetof(struct udphdr, check)", "offsetof(struct __sk_buff, tstamp)", "offsetof(struct __sk_buff, sk)",
  "offsetof(struct __sk_buff, flow_keys)", "offsetof(struct bpf_fib_lookup, ipv4_dst)", "offsetof(struct bpf_fib_lookup, h_vlan_proto)", "offsetof(struct bpf_fib_lookup, smac)",
  "offsetof(struct bpf_fib_lookup, dmac)", "offsetof(struct bpf_sock_tuple, ipv6.dport)", "offsetof(struct bpf_tunnel_key, remote_ipv6[2])", "offsetof(struct packed_one, c)",
  "offsetof(struct aligned_one, c)", "offsetof(struct anon, bytes[2])", "offsetof(struct anon, pq.q)", "offsetof(struct nested, a[2].pq)", "offsetof(struct nested, tail)",
  "offsetof(struct with_typedef, t)", "offsetof(struct bits, g)", "sizeof(union bpf_attr)", "offsetof(union bpf_attr, map_name)",
];

function source(): string {
  const rows = ROWS;
  return `${HEADERS}${OWN_TYPES}
const volatile unsigned long layout[] = {
${rows.map((r) => `\t${r},`).join("\n")}
};
union { struct tcphdr h; __u8 raw[20]; } tcp_bits = { .h = { .source = 0x1234, .doff = 5, .res1 = 0xa, .syn = 1, .ack = 1, .ece = 1, .cwr = 1, .window = 0xffee } };
union { struct iphdr h; __u8 raw[20]; } ip_bits = { .h = { .ihl = 5, .version = 4, .tos = 3, .ttl = 64 } };
union { struct bits b; __u8 raw[sizeof(struct bits)]; } own_bits = { .b = { .a = 5, .b = 9, .c = 0x155, .d = 0xabcde, .e = 1, .f = 0x123456789a, .g = 7 } };
SEC("xdp")
int prog(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`;
}

describe("struct layout against clang -target bpf", () => {
  it("sizeof, _Alignof and offsetof agree, row by row", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "clang -target bpf is the reference layout")) return;
    const src = source();
    const ours = compileC(src, "layout.c").mapInit.get(".rodata")!;
    const theirs = loadElf(clangBpfSource(src, "layout.c"), "layout.o").mapInit.get(".rodata")!;
    const values = (b: Uint8Array) => ROWS.map((r, i) => `${r} = ${Buffer.from(b).readBigUInt64LE(i * 8)}`);
    expect(values(ours)).toEqual(values(theirs));
  });

  it("bit-fields sit where clang puts them", () => {
    if (!requireOrSkip("cpp", HAS_CPP, "the C frontend preprocesses with the system cpp")) return;
    if (!requireOrSkip("clang", HAS_CLANG, "clang -target bpf is the reference layout")) return;
    const src = source();
    const ours = compileC(src, "layout.c").mapInit.get(".data")!;
    const theirs = loadElf(clangBpfSource(src, "layout.c"), "layout.o").mapInit.get(".data")!;
    expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(theirs).toString("hex"));
  });
});
