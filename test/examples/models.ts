// Independent expectations for the examples: each model states what its example must
// do to one packet, written from the protocol rules and the example's README, not by
// reading or running the BPF code. The kernel (kernel.ts) and later the interpreter are
// compared against these, packet by packet.
//
// Models are pure: they take the packet and the map state before it, and return the
// verdict, the packet as the program leaves it, and the map state after it.

export const VERDICTS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"] as const;
/** enum xdp_action: the index in VERDICTS is the program's return value. */
export type Verdict = (typeof VERDICTS)[number];

/** One map entry as bpftool dumps it and maps.json stores it: bytes in memory order, "0x0a". */
export interface MapEntryJson {
  key: string[];
  value: string[];
}
/** Map contents by map name, the format of maps.json. */
export type MapsJson = Record<string, MapEntryJson[]>;

export interface ModelResult {
  verdict: Verdict;
  /** The packet as the program leaves it (also for drops, as BPF_PROG_TEST_RUN returns it). */
  packet: Uint8Array;
  maps: MapsJson;
  /** For XDP_REDIRECT: the ifindex given to bpf_redirect. */
  redirectIfindex?: number;
}

export type Model = (packet: Uint8Array, maps: MapsJson) => ModelResult;

// --- bytes and maps -----------------------------------------------------------------

export function toHexBytes(b: Uint8Array): string[] {
  return Array.from(b, (x) => `0x${x.toString(16).padStart(2, "0")}`);
}

export function fromHexBytes(h: readonly string[]): Uint8Array {
  return Uint8Array.from(h, (x) => parseInt(x, 16));
}

const keyOf = (b: Uint8Array | readonly string[]): string => (b instanceof Uint8Array ? toHexBytes(b) : b).join(",");

/** A hash or array map's value for `key`, or undefined. */
function lookup(maps: MapsJson, name: string, key: Uint8Array): Uint8Array | undefined {
  const k = keyOf(key);
  const e = (maps[name] ?? []).find((x) => keyOf(x.key) === k);
  return e === undefined ? undefined : fromHexBytes(e.value);
}

/** Array maps have every index; an index maps.json does not list holds zeros. */
function lookupArray(maps: MapsJson, name: string, index: number, valueSize: number): Uint8Array {
  return lookup(maps, name, le32(index)) ?? new Uint8Array(valueSize);
}

/** A copy of `maps` with `key` set to `value` (inserted or replaced). */
function update(maps: MapsJson, name: string, key: Uint8Array, value: Uint8Array): MapsJson {
  const k = keyOf(key);
  const entries = (maps[name] ?? []).filter((x) => keyOf(x.key) !== k);
  return { ...maps, [name]: [...entries, { key: toHexBytes(key), value: toHexBytes(value) }] };
}

/**
 * Map contents in a canonical order, for comparison: entries sorted by key, and for
 * array maps (whose every index exists) only the entries that are not all zero.
 */
export function canonicalMaps(maps: MapsJson, arrayMaps: readonly string[] = []): MapsJson {
  const out: MapsJson = {};
  for (const name of Object.keys(maps).sort()) {
    let entries = maps[name]!.map((e) => ({ key: e.key.map((x) => x.toLowerCase()), value: e.value.map((x) => x.toLowerCase()) }));
    if (arrayMaps.includes(name)) entries = entries.filter((e) => e.value.some((v) => parseInt(v, 16) !== 0));
    entries.sort((a, b) => (keyOf(a.key) < keyOf(b.key) ? -1 : keyOf(a.key) > keyOf(b.key) ? 1 : 0));
    out[name] = entries;
  }
  return out;
}

function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function le64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

const readLe32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
const readLe64 = (b: Uint8Array, at: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
function setBe16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

// --- protocol facts -------------------------------------------------------------------

/** Ethernet header: two MACs and the ethertype. */
const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
/** 802.1Q and 802.1ad tag protocol ids; a tag is 4 bytes (TPID replaced the ethertype, TCI, next type). */
const VLAN_TPIDS = [0x8100, 0x88a8];
const VLAN_HLEN = 4;
/** Minimum IPv4 header (IHL = 5). */
const IPV4_HLEN = 20;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** Where each L4 protocol keeps its checksum, and its minimum header length (RFC 793, RFC 768). */
const L4 = {
  [IPPROTO_TCP]: { checksumAt: 16, headerLen: 20 },
  [IPPROTO_UDP]: { checksumAt: 6, headerLen: 8 },
} as const;

/**
 * RFC 1624 eqn. 3: the new checksum after 16-bit words `olds` became `news`,
 * HC' = ~(~HC + ~m + m'), in ones' complement arithmetic.
 */
export function rfc1624Update(check: number, olds: readonly number[], news: readonly number[]): number {
  let sum = ~check & 0xffff;
  for (const m of olds) sum += ~m & 0xffff;
  for (const m of news) sum += m;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const words32 = (v: number): number[] => [v >>> 16, v & 0xffff];

/** An IPv4 packet after the Ethernet header, when the frame is long enough to hold its fixed header. */
function ipv4At(frame: Uint8Array): number | undefined {
  if (frame.length < ETH_HLEN || be16(frame, 12) !== ETH_P_IP) return undefined;
  return ETH_HLEN;
}

const result = (verdict: Verdict, packet: Uint8Array, maps: MapsJson, redirectIfindex?: number): ModelResult =>
  redirectIfindex === undefined ? { verdict, packet, maps } : { verdict, packet, maps, redirectIfindex };

// --- firewall -------------------------------------------------------------------------

/**
 * Drop IPv4 packets whose source address is a key of `blocklist` (u32 in network order
 * -> u64 drop count, incremented per drop); pass everything else. A frame that says
 * IPv4 but is too short for the 20-byte header is dropped (its source cannot be checked).
 * VLAN-tagged frames are not IPv4 at the Ethernet layer and pass.
 */
export const firewallModel: Model = (packet, maps) => {
  const ip = ipv4At(packet);
  if (ip === undefined) return result("XDP_PASS", packet, maps);
  if (packet.length < ip + IPV4_HLEN) return result("XDP_DROP", packet, maps);
  const saddr = packet.slice(ip + 12, ip + 16);
  const hits = lookup(maps, "blocklist", saddr);
  if (hits === undefined) return result("XDP_PASS", packet, maps);
  return result("XDP_DROP", packet, update(maps, "blocklist", saddr, le64(readLe64(hits, 0) + 1n)));
};

// --- counter --------------------------------------------------------------------------

/**
 * Count packets and bytes (whole frame length) per IPv4 source in `counters`
 * (u32 network-order address -> {u64 packets; u64 bytes}), inserting {1, len} on first
 * sight. Frames without a full IPv4 header are not counted. Always XDP_PASS.
 */
export const counterModel: Model = (packet, maps) => {
  const ip = ipv4At(packet);
  if (ip === undefined || packet.length < ip + IPV4_HLEN) return result("XDP_PASS", packet, maps);
  const saddr = packet.slice(ip + 12, ip + 16);
  const old = lookup(maps, "counters", saddr);
  const packets = (old === undefined ? 0n : readLe64(old, 0)) + 1n;
  const bytes = (old === undefined ? 0n : readLe64(old, 8)) + BigInt(packet.length);
  const value = new Uint8Array(16);
  value.set(le64(packets), 0);
  value.set(le64(bytes), 8);
  return result("XDP_PASS", packet, update(maps, "counters", saddr, value));
};

// --- router ---------------------------------------------------------------------------

/** Longest-prefix match over `routes` (key {u32 prefixlen host order; 4 address bytes}). */
function longestPrefixMatch(maps: MapsJson, daddr: Uint8Array): Uint8Array | undefined {
  const dst = be32(daddr, 0);
  let best: { len: number; value: Uint8Array } | undefined;
  for (const e of maps.routes ?? []) {
    const key = fromHexBytes(e.key);
    const len = readLe32(key, 0);
    const prefix = be32(key, 4);
    // Compare the top `len` bits; a /0 route matches everything.
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((dst & mask) >>> 0) === ((prefix & mask) >>> 0) && (best === undefined || len > best.len)) {
      best = { len, value: fromHexBytes(e.value) };
    }
  }
  return best?.value;
}

/**
 * IPv4 forwarding (RFC 1812 §5.2-5.3): non-IPv4 passes; a truncated or malformed
 * (version != 4, IHL < 5) header is dropped; a destination with no route passes to the
 * host; a routed packet with TTL <= 1 is dropped; otherwise TTL is decremented (checksum
 * updated per RFC 1624), the MACs become the route's (dmac, smac), and the packet is
 * redirected to the route's ifindex. Route value: {u32 ifindex; u8 dmac[6]; u8 smac[6]}.
 */
export const routerModel: Model = (packet, maps) => {
  const ip = ipv4At(packet);
  if (ip === undefined) return result("XDP_PASS", packet, maps);
  if (packet.length < ip + IPV4_HLEN) return result("XDP_DROP", packet, maps);
  const version = packet[ip]! >>> 4;
  const ihl = packet[ip]! & 0x0f;
  if (version !== 4 || ihl < 5) return result("XDP_DROP", packet, maps);
  const route = longestPrefixMatch(maps, packet.subarray(ip + 16, ip + 20));
  if (route === undefined) return result("XDP_PASS", packet, maps);
  const ttl = packet[ip + 8]!;
  if (ttl <= 1) return result("XDP_DROP", packet, maps);
  const out = packet.slice();
  const proto = out[ip + 9]!;
  out[ip + 8] = ttl - 1;
  // TTL and protocol share the header's fifth 16-bit word.
  setBe16(out, ip + 10, rfc1624Update(be16(out, ip + 10), [(ttl << 8) | proto], [((ttl - 1) << 8) | proto]));
  out.set(route.subarray(4, 10), 0); // destination MAC: the next hop
  out.set(route.subarray(10, 16), 6); // source MAC: the egress interface
  return result("XDP_REDIRECT", out, maps, readLe32(route, 0));
};

// --- loadbalancer ---------------------------------------------------------------------

/** The most backends the program accepts in `config.backend_count`. */
export const LB_MAX_BACKENDS = 16;

/** FNV-1a over 32-bit words with the 32-bit FNV prime; `Math.imul` keeps it modulo 2^32. */
function fnv1aWords(words: readonly number[]): number {
  let h = 2166136261;
  for (const w of words) h = Math.imul((h ^ w) >>> 0, 16777619) >>> 0;
  return h;
}

/**
 * The backend index for a flow: FNV-1a over the words (saddr, daddr,
 * sport << 16 | dport, protocol), all in host order, modulo the backend count.
 */
export function lbBackendIndex(saddr: number, daddr: number, sport: number, dport: number, proto: number, count: number): number {
  return fnv1aWords([saddr >>> 0, daddr >>> 0, ((sport << 16) | dport) >>> 0, proto]) % count;
}

/**
 * L4 load balancing: TCP or UDP packets to the VIP (config[0] = {u32 vip; u32
 * backend_count}), without IP options and not fragments, are sent back out (XDP_TX) to
 * backends[lbBackendIndex(...)] = {u32 addr; u8 mac[6]; u8 pad[2]}: destination IP
 * rewritten (IP and L4 checksums updated per RFC 1624; a zero UDP checksum stays zero,
 * a computed zero becomes 0xffff), source MAC = the old destination MAC, destination
 * MAC = the backend's. Truncated IPv4 or L4 headers (for the VIP) are dropped;
 * everything else passes, as do VIP packets when no backend is in service (0 or more
 * than LB_MAX_BACKENDS).
 */
export const loadbalancerModel: Model = (packet, maps) => {
  const ip = ipv4At(packet);
  if (ip === undefined) return result("XDP_PASS", packet, maps);
  if (packet.length < ip + IPV4_HLEN) return result("XDP_DROP", packet, maps);
  const config = lookupArray(maps, "config", 0, 8);
  const daddr = be32(packet, ip + 16);
  if (daddr !== be32(config, 0)) return result("XDP_PASS", packet, maps);
  const ihl = packet[ip]! & 0x0f;
  const fragment = be16(packet, ip + 6) & 0x3fff; // MF flag or a fragment offset
  if (ihl !== 5 || fragment !== 0) return result("XDP_PASS", packet, maps);
  const proto = packet[ip + 9]!;
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return result("XDP_PASS", packet, maps);
  const l4 = ip + IPV4_HLEN;
  const { checksumAt, headerLen } = L4[proto];
  if (packet.length < l4 + headerLen) return result("XDP_DROP", packet, maps);
  const count = readLe32(config, 4);
  if (count === 0 || count > LB_MAX_BACKENDS) return result("XDP_PASS", packet, maps);

  const saddr = be32(packet, ip + 12);
  const index = lbBackendIndex(saddr, daddr, be16(packet, l4), be16(packet, l4 + 2), proto, count);
  const backend = lookupArray(maps, "backends", index, 12);
  const newDaddr = be32(backend, 0);
  const out = packet.slice();
  setBe16(out, ip + 10, rfc1624Update(be16(out, ip + 10), words32(daddr), words32(newDaddr)));
  const l4Check = be16(out, l4 + checksumAt);
  // RFC 768: UDP checksum zero means "not computed" and must stay so.
  if (proto === IPPROTO_TCP || l4Check !== 0) {
    let c = rfc1624Update(l4Check, words32(daddr), words32(newDaddr));
    if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
    setBe16(out, l4 + checksumAt, c);
  }
  out.set(backend.subarray(0, 4), ip + 16);
  out.set(packet.subarray(0, 6), 6); // we (the old destination) become the source
  out.set(backend.subarray(4, 10), 0);
  return result("XDP_TX", out, maps);
};

// --- vlan -----------------------------------------------------------------------------

/** How many stacked tags the example parses. */
export const VLAN_MAX_TAGS = 2;

/**
 * 802.1Q/802.1ad filtering: untagged frames pass unchanged. A frame with one or two
 * tags passes only if every tag's VLAN id (low 12 bits of the TCI) is allowed
 * (`allowed`: array indexed by VLAN id, non-zero u32 = allowed), and loses its outer
 * tag (the 4 bytes after the source MAC). Dropped: a disallowed id, a tag cut short,
 * a third tag.
 */
export const vlanModel: Model = (packet, maps) => {
  if (packet.length < ETH_HLEN) return result("XDP_PASS", packet, maps);
  let at = 12; // the ethertype, or a tag's TPID
  let tags = 0;
  while (tags < VLAN_MAX_TAGS && VLAN_TPIDS.includes(be16(packet, at))) {
    if (packet.length < at + 2 + VLAN_HLEN) return result("XDP_DROP", packet, maps);
    const vid = be16(packet, at + 2) & 0x0fff;
    if (readLe32(lookupArray(maps, "allowed", vid, 4), 0) === 0) return result("XDP_DROP", packet, maps);
    at += VLAN_HLEN;
    tags++;
  }
  if (tags === 0) return result("XDP_PASS", packet, maps);
  if (VLAN_TPIDS.includes(be16(packet, at))) return result("XDP_DROP", packet, maps);
  const popped = new Uint8Array(packet.length - VLAN_HLEN);
  popped.set(packet.subarray(0, 12), 0);
  popped.set(packet.subarray(12 + VLAN_HLEN), 12);
  return result("XDP_PASS", popped, maps);
};

export const MODELS = {
  firewall: firewallModel,
  router: routerModel,
  loadbalancer: loadbalancerModel,
  vlan: vlanModel,
  counter: counterModel,
} as const satisfies Record<string, Model>;

export type ExampleName = keyof typeof MODELS;

/** Runs a model over packets in order, threading the map state through. */
export function runModel(model: Model, packets: readonly Uint8Array[], maps: MapsJson): { results: ModelResult[]; maps: MapsJson } {
  const results: ModelResult[] = [];
  let state = maps;
  for (const p of packets) {
    const r = model(p, state);
    results.push(r);
    state = r.maps;
  }
  return { results, maps: state };
}
