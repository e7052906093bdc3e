// Packet construction for the example captures: Ethernet, 802.1Q/802.1ad tags, IPv4,
// UDP, TCP, ICMP, ARP and IPv6, each with correct checksums computed in full from the
// RFCs. The models (models.ts) update checksums incrementally; the tests check their
// output against the full computation here, so the two methods check each other.

export const ETH_P = {
  IPV4: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
  VLAN_8021Q: 0x8100, // IEEE 802.1Q customer tag
  VLAN_8021AD: 0x88a8, // IEEE 802.1ad service tag (QinQ outer)
} as const;

export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;

/** "02:00:00:00:00:01" -> 6 bytes. */
export function mac(text: string): Uint8Array {
  const parts = text.split(":").map((p) => parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad MAC ${text}`);
  return Uint8Array.from(parts);
}

/** "10.0.0.1" -> 4 bytes in network order. */
export function ip4(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(Number.isInteger(p) && p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${text}`);
  return Uint8Array.from(parts);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u16be(v: number): Uint8Array {
  return Uint8Array.from([(v >>> 8) & 0xff, v & 0xff]);
}

export function u32be(v: number): Uint8Array {
  return Uint8Array.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

/** RFC 1071: 16-bit ones' complement sum of big-endian words, odd length padded with zero, folded. */
export function onesSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) sum += (data[i]! << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 Internet checksum: complement of the ones' complement sum. */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  return ~onesSum(data, initial) & 0xffff;
}

/** RFC 793 / RFC 768 pseudo-header sum: source, destination, zero, protocol, L4 length. */
function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, length: number): number {
  return onesSum(concat(src, dst, Uint8Array.from([0, proto]), u16be(length)));
}

export interface Tag {
  tpid: number;
  vid: number;
  pcp?: number;
  dei?: boolean;
}

export function ether(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array, tags: readonly Tag[] = []): Uint8Array {
  // Each tag is TPID + TCI; the TPID takes the place of the ethertype it precedes.
  const tagBytes = tags.map((t) => concat(u16be(t.tpid), u16be(((t.pcp ?? 0) << 13) | ((t.dei ?? false) ? 0x1000 : 0) | t.vid)));
  return concat(dst, src, ...tagBytes, u16be(type), payload);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  /** Flags (DF 0x4000, MF 0x2000) and fragment offset in 8-byte units. */
  fragment?: number;
  /** IP options, a multiple of 4 bytes. */
  options?: Uint8Array;
  /** Overrides the version nibble, for malformed headers. */
  version?: number;
  /** Overrides the IHL nibble, for malformed headers. */
  ihl?: number;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const options = o.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0) throw new Error("IP options must be a multiple of 4 bytes");
  const headerLen = 20 + options.length;
  const h = concat(
    Uint8Array.from([((o.version ?? 4) << 4) | (o.ihl ?? headerLen / 4), o.tos ?? 0]),
    u16be(headerLen + o.payload.length),
    u16be(o.id ?? 0),
    u16be(o.fragment ?? 0x4000),
    Uint8Array.from([o.ttl ?? 64, o.proto, 0, 0]),
    ip4(o.src),
    ip4(o.dst),
    options,
  );
  h.set(u16be(internetChecksum(h)), 10);
  return concat(h, o.payload);
}

export function udp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, opts: { noChecksum?: boolean } = {}): Uint8Array {
  const seg = concat(u16be(sport), u16be(dport), u16be(8 + payload.length), u16be(0), payload);
  if (!opts.noChecksum) {
    // RFC 768: a computed zero is sent as all ones; zero means "no checksum".
    const c = internetChecksum(seg, pseudoHeaderSum(ip4(src), ip4(dst), IPPROTO.UDP, seg.length));
    seg.set(u16be(c === 0 ? 0xffff : c), 6);
  }
  return seg;
}

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function tcp(src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number, payload: Uint8Array): Uint8Array {
  const seg = concat(
    u16be(sport),
    u16be(dport),
    u32be(seq),
    u32be(ack),
    Uint8Array.from([5 << 4, flags]), // data offset 5 words: no options
    u16be(64240), // window
    u16be(0), // checksum, filled below
    u16be(0), // urgent pointer
    payload,
  );
  seg.set(u16be(internetChecksum(seg, pseudoHeaderSum(ip4(src), ip4(dst), IPPROTO.TCP, seg.length))), 16);
  return seg;
}

/** ICMP echo request (RFC 792). */
export function icmpEcho(id: number, seq: number, payload: Uint8Array): Uint8Array {
  const m = concat(Uint8Array.from([8, 0, 0, 0]), u16be(id), u16be(seq), payload);
  m.set(u16be(internetChecksum(m)), 2);
  return m;
}

/** ARP request (RFC 826) for Ethernet/IPv4: who has `target`, tell `sender`. */
export function arpRequest(senderMac: Uint8Array, sender: string, target: string): Uint8Array {
  return concat(u16be(1), u16be(ETH_P.IPV4), Uint8Array.from([6, 4]), u16be(1), senderMac, ip4(sender), new Uint8Array(6), ip4(target));
}

/** A minimal IPv6 header (RFC 8200) with a UDP payload whose checksum is left zero. */
export function ipv6Udp(payload: Uint8Array): Uint8Array {
  const src = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]);
  const dst = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2]);
  const seg = concat(u16be(5353), u16be(5353), u16be(8 + payload.length), u16be(0), payload);
  const lenWithPseudo = concat(src, dst, u32be(seg.length), Uint8Array.from([0, 0, 0, IPPROTO.UDP]), seg);
  seg.set(u16be(internetChecksum(lenWithPseudo) || 0xffff), 6);
  return concat(Uint8Array.from([0x60, 0, 0, 0]), u16be(seg.length), Uint8Array.from([IPPROTO.UDP, 64]), src, dst, seg);
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Deterministic filler bytes (no randomness in committed fixtures). */
export function filler(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + 0x20) & 0xff);
}

/** True when the IPv4 header at `off` has a valid checksum. */
export function ipv4HeaderValid(frame: Uint8Array, off: number): boolean {
  const ihl = (frame[off]! & 0x0f) * 4;
  return onesSum(frame.subarray(off, off + ihl)) === 0xffff;
}

/**
 * True when the TCP or UDP checksum of the IPv4 packet at `off` verifies (a zero UDP
 * checksum means none and verifies). Only for packets captured whole.
 */
export function l4ChecksumValid(frame: Uint8Array, off: number): boolean {
  const ihl = (frame[off]! & 0x0f) * 4;
  const total = (frame[off + 2]! << 8) | frame[off + 3]!;
  const proto = frame[off + 9]!;
  const seg = frame.subarray(off + ihl, off + total);
  if (proto === IPPROTO.UDP && seg[6] === 0 && seg[7] === 0) return true;
  const sum = onesSum(seg, pseudoHeaderSum(frame.subarray(off + 12, off + 16), frame.subarray(off + 16, off + 20), proto, seg.length));
  return sum === 0xffff;
}
