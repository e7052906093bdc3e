// The example inputs: for each example under examples/, its packets (each with the
// branch it exercises and the verdict it should get) and its initial maps. The committed
// examples/<name>/packets.pcap and maps.json are generated from this table;
// examples.test.ts checks they are current and rewrites them when UPDATE_GOLDEN=1.
import { writePcap, LINKTYPE_ETHERNET, type Pcap } from "../../runtime/packet/pcap.js";
import { lbBackendIndex, toHexBytes, type ExampleName, type MapsJson, type Verdict } from "./models.js";
import {
  arpRequest,
  concat,
  ETH_P,
  ether,
  filler,
  icmpEcho,
  ip4,
  ipv4,
  ipv6Udp,
  IPPROTO,
  mac,
  tcp,
  TCP_FLAGS,
  text,
  udp,
  type Tag,
} from "./net.js";

export interface ExamplePacket {
  /** What the packet exercises. */
  why: string;
  expect: Verdict;
  /** For XDP_REDIRECT: the ifindex the packet must go to. */
  ifindex?: number;
  data: Uint8Array;
}

export interface Example {
  name: ExampleName;
  packets: ExamplePacket[];
  maps: MapsJson;
  /** Array maps: every index exists, so dumps list zero entries that maps.json leaves out. */
  arrayMaps: string[];
}

// Addresses from the documentation ranges (RFC 5737, RFC 3849) and locally administered MACs.
const HOST_MAC = mac("02:00:00:00:00:01"); // the XDP machine's port
const PEER_MAC = mac("02:00:00:00:0a:01"); // the upstream router that sent the packet
const BROADCAST = mac("ff:ff:ff:ff:ff:ff");

const le32 = (v: number): Uint8Array => Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
const le64 = (v: number): Uint8Array => concat(le32(v), le32(Math.floor(v / 2 ** 32)));
const entry = (key: Uint8Array, value: Uint8Array) => ({ key: toHexBytes(key), value: toHexBytes(value) });

function ipFrame(o: Parameters<typeof ipv4>[0], tags: readonly Tag[] = []): Uint8Array {
  return ether(HOST_MAC, PEER_MAC, ETH_P.IPV4, ipv4(o), tags);
}

function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, ip: Partial<Parameters<typeof ipv4>[0]> = {}) {
  return ipFrame({ src, dst, proto: IPPROTO.UDP, payload: udp(src, dst, sport, dport, payload), ...ip });
}

function tcpFrame(src: string, dst: string, sport: number, dport: number, flags: number, payload: Uint8Array, ip: Partial<Parameters<typeof ipv4>[0]> = {}) {
  return ipFrame({ src, dst, proto: IPPROTO.TCP, payload: tcp(src, dst, sport, dport, flags, 0x1000 + sport, flags & TCP_FLAGS.ACK ? 0x2000 : 0, payload), ...ip });
}

const ARP = ether(BROADCAST, PEER_MAC, ETH_P.ARP, arpRequest(PEER_MAC, "10.0.0.254", "10.0.0.1"));
const IPV6 = ether(HOST_MAC, PEER_MAC, ETH_P.IPV6, ipv6Udp(text("mdns")));
/** A DNS query for example.com, as a realistic small UDP payload. */
const DNS_QUERY = concat(
  Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
  Uint8Array.from([7, ...text("example"), 3, ...text("com"), 0]),
  Uint8Array.from([0, 1, 0, 1]),
);
const HTTP_GET = text("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
/** IP options: Router Alert (RFC 2113), 4 bytes. */
const ROUTER_ALERT = Uint8Array.from([0x94, 0x04, 0x00, 0x00]);

/** The first `n` bytes of a frame: what a capture with a short snap length, or a runt, holds. */
const cut = (frame: Uint8Array, n: number): Uint8Array => frame.slice(0, n);

function firewall(): Example {
  const blocked = "203.0.113.66";
  const blocked2 = "192.0.2.1";
  return {
    name: "firewall",
    arrayMaps: [],
    maps: {
      blocklist: [entry(ip4(blocked), le64(5)), entry(ip4(blocked2), le64(0))],
    },
    packets: [
      { why: "DNS query from an allowed source", expect: "XDP_PASS", data: udpFrame("198.51.100.7", "10.0.0.53", 40001, 53, DNS_QUERY) },
      { why: "TCP SYN from a blocked source (count 5 -> 6)", expect: "XDP_DROP", data: tcpFrame(blocked, "10.0.0.80", 51000, 80, TCP_FLAGS.SYN, new Uint8Array(0)) },
      { why: "HTTP request from the same blocked source (6 -> 7)", expect: "XDP_DROP", data: tcpFrame(blocked, "10.0.0.80", 51000, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, HTTP_GET) },
      { why: "ICMP echo from a second blocked source (0 -> 1)", expect: "XDP_DROP", data: ipFrame({ src: blocked2, dst: "10.0.0.1", proto: IPPROTO.ICMP, payload: icmpEcho(7, 1, filler(32)) }) },
      { why: "HTTP request from an allowed source", expect: "XDP_PASS", data: tcpFrame("198.51.100.8", "10.0.0.80", 51001, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, HTTP_GET) },
      { why: "source one address away from a blocked one", expect: "XDP_PASS", data: udpFrame("203.0.113.67", "10.0.0.53", 40002, 53, DNS_QUERY) },
      { why: "blocked address as destination, not source", expect: "XDP_PASS", data: udpFrame("10.0.0.53", blocked, 53, 40003, DNS_QUERY) },
      { why: "ARP request (not IPv4)", expect: "XDP_PASS", data: ARP },
      { why: "IPv6 (not IPv4)", expect: "XDP_PASS", data: IPV6 },
      { why: "blocked source with IP options (Router Alert)", expect: "XDP_DROP", data: udpFrame(blocked, "10.0.0.53", 40004, 53, DNS_QUERY, { options: ROUTER_ALERT }) },
      { why: "blocked source behind an 802.1Q tag: ethertype is not IPv4, passes", expect: "XDP_PASS", data: ether(HOST_MAC, PEER_MAC, ETH_P.IPV4, ipv4({ src: blocked, dst: "10.0.0.1", proto: IPPROTO.UDP, payload: udp(blocked, "10.0.0.1", 1, 2, DNS_QUERY) }), [{ tpid: ETH_P.VLAN_8021Q, vid: 10 }]) },
      { why: "truncated IPv4 header (10 of 20 bytes) from a blocked source", expect: "XDP_DROP", data: cut(udpFrame(blocked, "10.0.0.53", 40005, 53, DNS_QUERY), 24) },
      { why: "Ethernet header only, ethertype IPv4", expect: "XDP_DROP", data: cut(udpFrame("198.51.100.7", "10.0.0.53", 40006, 53, DNS_QUERY), 14) },
      { why: "full-size UDP datagram from an allowed source", expect: "XDP_PASS", data: udpFrame("198.51.100.9", "10.0.0.53", 40007, 9000, filler(1472, 1)) },
      { why: "third packet from the first blocked source (7 -> 8)", expect: "XDP_DROP", data: udpFrame(blocked, "10.0.0.53", 40008, 53, DNS_QUERY) },
    ],
  };
}

/** Route value {u32 ifindex; u8 dmac[6]; u8 smac[6]}. */
const route = (prefix: string, len: number, ifindex: number, dmac: string, smac: string) =>
  entry(concat(le32(len), ip4(prefix)), concat(le32(ifindex), mac(dmac), mac(smac)));

/** An IPv4 identification value that makes this UDP packet's header checksum 0x0000 (after trying them in order). */
function idForZeroChecksum(src: string, dst: string, ttl: number): number {
  for (let id = 0; id < 0x10000; id++) {
    const p = ipv4({ src, dst, proto: IPPROTO.UDP, payload: udp(src, dst, 1000, 2000, text("x")), ttl, id });
    if (p[10] === 0 && p[11] === 0) return id;
  }
  throw new Error("no identification gives a zero checksum");
}

function router(): Example {
  const zeroId = idForZeroChecksum("198.51.100.7", "10.1.5.5", 64);
  return {
    name: "router",
    arrayMaps: [],
    maps: {
      routes: [
        route("10.1.0.0", 16, 2, "02:00:00:00:01:01", "02:00:00:00:00:02"),
        route("10.1.2.0", 24, 3, "02:00:00:00:02:01", "02:00:00:00:00:03"),
        route("192.168.0.0", 16, 4, "02:00:00:00:03:01", "02:00:00:00:00:04"),
      ],
    },
    packets: [
      { why: "UDP to 10.1.5.5: /16 route, ifindex 2", expect: "XDP_REDIRECT", ifindex: 2, data: udpFrame("198.51.100.7", "10.1.5.5", 40001, 53, DNS_QUERY) },
      { why: "TCP to 10.1.2.9: /24 beats /16, ifindex 3", expect: "XDP_REDIRECT", ifindex: 3, data: tcpFrame("198.51.100.7", "10.1.2.9", 51000, 80, TCP_FLAGS.SYN, new Uint8Array(0)) },
      { why: "TTL 2 to 192.168.7.7: forwarded with TTL 1", expect: "XDP_REDIRECT", ifindex: 4, data: udpFrame("198.51.100.7", "192.168.7.7", 40002, 123, filler(48), { ttl: 2 }) },
      { why: "TTL 255 to 10.1.2.200", expect: "XDP_REDIRECT", ifindex: 3, data: udpFrame("198.51.100.7", "10.1.2.200", 40003, 53, DNS_QUERY, { ttl: 255 }) },
      { why: "header checksum 0x0000 before the TTL decrement", expect: "XDP_REDIRECT", ifindex: 2, data: ipFrame({ src: "198.51.100.7", dst: "10.1.5.5", proto: IPPROTO.UDP, payload: udp("198.51.100.7", "10.1.5.5", 1000, 2000, text("x")), id: zeroId }) },
      { why: "IP options (Router Alert): covered by the incremental update", expect: "XDP_REDIRECT", ifindex: 2, data: udpFrame("198.51.100.7", "10.1.5.5", 40004, 53, DNS_QUERY, { options: ROUTER_ALERT }) },
      { why: "full-size TCP segment", expect: "XDP_REDIRECT", ifindex: 3, data: tcpFrame("198.51.100.7", "10.1.2.9", 51001, 80, TCP_FLAGS.ACK, filler(1460, 2), { id: 0xbeef }) },
      { why: "TTL 1 with a route: dropped", expect: "XDP_DROP", data: udpFrame("198.51.100.7", "10.1.2.9", 40005, 53, DNS_QUERY, { ttl: 1 }) },
      { why: "TTL 0 with a route: dropped", expect: "XDP_DROP", data: udpFrame("198.51.100.7", "10.1.5.5", 40006, 53, DNS_QUERY, { ttl: 0 }) },
      { why: "no route (8.8.8.8): passed to the host", expect: "XDP_PASS", data: udpFrame("198.51.100.7", "8.8.8.8", 40007, 53, DNS_QUERY) },
      { why: "no route and TTL 1: passed, the host may be the destination", expect: "XDP_PASS", data: udpFrame("198.51.100.7", "172.16.0.1", 40008, 53, DNS_QUERY, { ttl: 1 }) },
      { why: "just outside 10.1.0.0/16 (10.2.0.1): no route", expect: "XDP_PASS", data: udpFrame("198.51.100.7", "10.2.0.1", 40009, 53, DNS_QUERY) },
      { why: "ARP request (not IPv4)", expect: "XDP_PASS", data: ARP },
      { why: "IPv6 (not IPv4)", expect: "XDP_PASS", data: IPV6 },
      { why: "truncated IPv4 header (19 of 20 bytes)", expect: "XDP_DROP", data: cut(udpFrame("198.51.100.7", "10.1.5.5", 40010, 53, DNS_QUERY), 33) },
      { why: "ethertype IPv4 but version 6", expect: "XDP_DROP", data: udpFrame("198.51.100.7", "10.1.5.5", 40011, 53, DNS_QUERY, { version: 6 }) },
      { why: "IHL 4 (shorter than the fixed header)", expect: "XDP_DROP", data: udpFrame("198.51.100.7", "10.1.5.5", 40012, 53, DNS_QUERY, { ihl: 4 }) },
    ],
  };
}

const VIP = "10.0.0.100";
const LB_BACKENDS = [
  { addr: "10.0.1.1", mac: "02:00:00:00:b0:01" },
  { addr: "10.0.1.2", mac: "02:00:00:00:b0:02" },
  { addr: "10.0.1.3", mac: "02:00:00:00:b0:03" },
  // Configured but not in service (index >= backend_count): never chosen.
  { addr: "10.0.1.4", mac: "02:00:00:00:b0:04" },
];
const LB_IN_SERVICE = 3;

/**
 * A UDP payload for this flow that makes the checksum, after the destination becomes
 * the chosen backend, come out as zero, so that the RFC 768 "zero is sent as 0xffff"
 * rule is exercised. Uses the documented backend choice to know the new destination.
 */
function payloadForZeroUdpChecksum(src: string, sport: number, dport: number): Uint8Array {
  const be32 = (s: string) => ip4(s).reduce((v, b) => ((v << 8) | b) >>> 0, 0);
  const i = lbBackendIndex(be32(src), be32(VIP), sport, dport, IPPROTO.UDP, LB_IN_SERVICE);
  const backend = LB_BACKENDS[i]!.addr;
  // Search the last payload word: the first that makes the full checksum, computed
  // with the backend as destination, zero.
  for (let v = 0; v < 0x10000; v++) {
    const p = Uint8Array.from([0x51, 0x51, v >>> 8, v & 0xff]);
    const seg = udp(src, backend, sport, dport, p);
    // udp() writes 0xffff for a computed zero.
    if (seg[6] === 0xff && seg[7] === 0xff) return p;
  }
  throw new Error("no payload gives a zero checksum");
}

function loadbalancer(): Example {
  const syn = (src: string, sport: number, dport = 80) => tcpFrame(src, VIP, sport, dport, TCP_FLAGS.SYN, new Uint8Array(0));
  return {
    name: "loadbalancer",
    arrayMaps: ["config", "backends"],
    maps: {
      config: [entry(le32(0), concat(ip4(VIP), le32(LB_IN_SERVICE)))],
      backends: LB_BACKENDS.map((b, i) => entry(le32(i), concat(ip4(b.addr), mac(b.mac), new Uint8Array(2)))),
    },
    packets: [
      { why: "TCP SYN to VIP:80, client 198.51.100.7", expect: "XDP_TX", data: syn("198.51.100.7", 50000) },
      { why: "TCP SYN to VIP:80, client 198.51.100.8", expect: "XDP_TX", data: syn("198.51.100.8", 50001) },
      { why: "TCP SYN to VIP:80, client 198.51.100.9", expect: "XDP_TX", data: syn("198.51.100.9", 50002) },
      { why: "TCP SYN to VIP:80, client 203.0.113.20", expect: "XDP_TX", data: syn("203.0.113.20", 43210) },
      { why: "TCP SYN to VIP:443, client 203.0.113.21", expect: "XDP_TX", data: syn("203.0.113.21", 43211, 443) },
      { why: "HTTP request in an established flow to the VIP", expect: "XDP_TX", data: tcpFrame("198.51.100.7", VIP, 50000, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, HTTP_GET) },
      { why: "UDP DNS query to the VIP", expect: "XDP_TX", data: udpFrame("198.51.100.7", VIP, 40001, 53, DNS_QUERY) },
      { why: "UDP to the VIP without a checksum (zero stays zero)", expect: "XDP_TX", data: ipFrame({ src: "198.51.100.7", dst: VIP, proto: IPPROTO.UDP, payload: udp("198.51.100.7", VIP, 40002, 53, DNS_QUERY, { noChecksum: true }) }) },
      { why: "UDP to the VIP whose updated checksum is zero (sent as 0xffff)", expect: "XDP_TX", data: udpFrame("198.51.100.7", VIP, 40003, 53, payloadForZeroUdpChecksum("198.51.100.7", 40003, 53)) },
      { why: "full-size TCP segment to the VIP", expect: "XDP_TX", data: tcpFrame("203.0.113.20", VIP, 43210, 80, TCP_FLAGS.ACK, filler(1460, 3)) },
      { why: "TCP to a non-VIP address of the host", expect: "XDP_PASS", data: tcpFrame("198.51.100.7", "10.0.0.5", 50003, 22, TCP_FLAGS.SYN, new Uint8Array(0)) },
      { why: "ICMP echo to the VIP (not TCP/UDP)", expect: "XDP_PASS", data: ipFrame({ src: "198.51.100.7", dst: VIP, proto: IPPROTO.ICMP, payload: icmpEcho(9, 1, filler(32)) }) },
      { why: "first fragment (MF) to the VIP", expect: "XDP_PASS", data: udpFrame("198.51.100.7", VIP, 40004, 53, filler(64), { fragment: 0x2000, id: 77 }) },
      { why: "later fragment (offset 8) to the VIP", expect: "XDP_PASS", data: ipFrame({ src: "198.51.100.7", dst: VIP, proto: IPPROTO.UDP, payload: filler(32), fragment: 8, id: 77 }) },
      { why: "IP options to the VIP", expect: "XDP_PASS", data: udpFrame("198.51.100.7", VIP, 40005, 53, DNS_QUERY, { options: ROUTER_ALERT }) },
      { why: "TCP header cut short (12 of 20 bytes) to the VIP", expect: "XDP_DROP", data: cut(syn("198.51.100.7", 50004), 14 + 20 + 12) },
      { why: "UDP header cut short (4 of 8 bytes) to the VIP", expect: "XDP_DROP", data: cut(udpFrame("198.51.100.7", VIP, 40006, 53, DNS_QUERY), 14 + 20 + 4) },
      { why: "truncated IPv4 header", expect: "XDP_DROP", data: cut(syn("198.51.100.7", 50005), 14 + 12) },
      { why: "ARP request (not IPv4)", expect: "XDP_PASS", data: ARP },
      { why: "IPv6 (not IPv4)", expect: "XDP_PASS", data: IPV6 },
    ],
  };
}

function vlan(): Example {
  const q = (vid: number, pcp = 0): Tag => ({ tpid: ETH_P.VLAN_8021Q, vid, pcp });
  const ad = (vid: number): Tag => ({ tpid: ETH_P.VLAN_8021AD, vid });
  const inner = ipv4({ src: "10.20.0.5", dst: "10.20.0.1", proto: IPPROTO.UDP, payload: udp("10.20.0.5", "10.20.0.1", 40001, 53, DNS_QUERY) });
  const tagged = (tags: Tag[], type: number = ETH_P.IPV4, payload: Uint8Array = inner) => ether(HOST_MAC, PEER_MAC, type, payload, tags);
  const allowed = [10, 20, 100];
  return {
    name: "vlan",
    arrayMaps: ["allowed"],
    maps: { allowed: allowed.map((vid) => entry(le32(vid), le32(1))) },
    packets: [
      { why: "untagged IPv4: passes unchanged", expect: "XDP_PASS", data: tagged([]) },
      { why: "untagged IPv6: passes unchanged", expect: "XDP_PASS", data: IPV6 },
      { why: "802.1Q VLAN 10 (allowed): tag popped", expect: "XDP_PASS", data: tagged([q(10)]) },
      { why: "802.1Q VLAN 30 (not allowed)", expect: "XDP_DROP", data: tagged([q(30)]) },
      { why: "802.1Q VLAN 20, priority 5, carrying ARP: tag popped", expect: "XDP_PASS", data: tagged([q(20, 5)], ETH_P.ARP, arpRequest(PEER_MAC, "10.20.0.5", "10.20.0.1")) },
      { why: "802.1Q VLAN 100 with DEI set: tag popped", expect: "XDP_PASS", data: tagged([{ tpid: ETH_P.VLAN_8021Q, vid: 100, pcp: 7, dei: true }]) },
      { why: "QinQ 802.1ad 100 / 802.1Q 10 (both allowed): outer popped", expect: "XDP_PASS", data: tagged([ad(100), q(10)]) },
      { why: "QinQ 100 / 30 (inner not allowed)", expect: "XDP_DROP", data: tagged([ad(100), q(30)]) },
      { why: "QinQ 30 / 10 (outer not allowed)", expect: "XDP_DROP", data: tagged([ad(30), q(10)]) },
      { why: "two 802.1Q tags 10 / 20: outer popped", expect: "XDP_PASS", data: tagged([q(10), q(20)]) },
      { why: "three tags 100 / 10 / 20: more than parsed", expect: "XDP_DROP", data: tagged([ad(100), q(10), q(20)]) },
      { why: "VLAN 0 (priority tag; not allowed)", expect: "XDP_DROP", data: tagged([q(0, 3)]) },
      { why: "VLAN 4095 (reserved; not allowed)", expect: "XDP_DROP", data: tagged([q(4095)]) },
      { why: "802.1Q tag cut short (2 of 4 bytes)", expect: "XDP_DROP", data: cut(tagged([q(10)]), 16) },
      { why: "QinQ with the inner tag cut short", expect: "XDP_DROP", data: cut(tagged([ad(100), q(10)]), 20) },
      { why: "802.1Q VLAN 10 with nothing after the tag: popped to a bare header", expect: "XDP_PASS", data: cut(tagged([q(10)]), 18) },
    ],
  };
}

function counter(): Example {
  const seen = "198.51.100.7";
  return {
    name: "counter",
    arrayMaps: [],
    maps: {
      counters: [entry(ip4(seen), concat(le64(10), le64(1000)))],
    },
    packets: [
      { why: "known source: counts 10 -> 11 packets", expect: "XDP_PASS", data: udpFrame(seen, "10.0.0.53", 40001, 53, DNS_QUERY) },
      { why: "new source: inserted with 1 packet", expect: "XDP_PASS", data: tcpFrame("203.0.113.9", "10.0.0.80", 51000, 80, TCP_FLAGS.SYN, new Uint8Array(0)) },
      { why: "new source again: added to", expect: "XDP_PASS", data: tcpFrame("203.0.113.9", "10.0.0.80", 51000, 80, TCP_FLAGS.ACK | TCP_FLAGS.PSH, HTTP_GET) },
      { why: "known source, full-size frame", expect: "XDP_PASS", data: udpFrame(seen, "10.0.0.53", 40002, 9000, filler(1472, 4)) },
      { why: "second new source, ICMP", expect: "XDP_PASS", data: ipFrame({ src: "192.0.2.44", dst: "10.0.0.1", proto: IPPROTO.ICMP, payload: icmpEcho(3, 1, filler(56)) }) },
      { why: "ARP (not counted)", expect: "XDP_PASS", data: ARP },
      { why: "IPv6 (not counted)", expect: "XDP_PASS", data: IPV6 },
      { why: "truncated IPv4 header (not counted)", expect: "XDP_PASS", data: cut(udpFrame("192.0.2.99", "10.0.0.53", 40003, 53, DNS_QUERY), 30) },
      { why: "IPv4 cut after its header: counted with the captured length", expect: "XDP_PASS", data: cut(udpFrame("192.0.2.44", "10.0.0.53", 40004, 53, DNS_QUERY), 34) },
      { why: "IP options: same source key", expect: "XDP_PASS", data: udpFrame(seen, "10.0.0.53", 40005, 53, DNS_QUERY, { options: ROUTER_ALERT }) },
      { why: "fragment: counted like any IPv4 packet", expect: "XDP_PASS", data: ipFrame({ src: "203.0.113.9", dst: "10.0.0.80", proto: IPPROTO.UDP, payload: filler(100), fragment: 0x2000 | 185, id: 9 }) },
    ],
  };
}

/** Every example, in the order the tests report them. */
export function buildExamples(): Example[] {
  return [firewall(), router(), loadbalancer(), vlan(), counter()];
}

/** First packet's timestamp: fixed, so the generated files are reproducible. */
const EPOCH = 1_700_000_000;

export function examplePcap(e: Example): Uint8Array {
  const p: Pcap = {
    linkType: LINKTYPE_ETHERNET,
    snapLen: 65535,
    nanos: false,
    packets: e.packets.map((k, i) => ({
      tsSec: EPOCH + i,
      tsFrac: i * 1000,
      // Truncated frames stand for runts, not snap-length captures: origLen = what was sent.
      origLen: k.data.length,
      data: k.data,
    })),
  };
  return writePcap(p);
}

/** maps.json text: one entry per line, so that diffs show which entry changed. */
export function exampleMapsJson(e: Example): string {
  const lines: string[] = ["{"];
  const names = Object.keys(e.maps);
  names.forEach((name, i) => {
    lines.push(`  ${JSON.stringify(name)}: [`);
    const entries = e.maps[name]!;
    entries.forEach((x, j) => lines.push(`    ${JSON.stringify({ key: x.key, value: x.value })}${j + 1 < entries.length ? "," : ""}`));
    lines.push(`  ]${i + 1 < names.length ? "," : ""}`);
  });
  lines.push("}");
  return lines.join("\n") + "\n";
}
