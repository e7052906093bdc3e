// The XDP program type: struct xdp_md as a context region, the packet buffer with
// headroom, and the verdicts. Layout and limits follow the kernel (include/uapi/linux/bpf.h,
// net/core/filter.c) so that the interpreter and BPF_PROG_TEST_RUN agree.
import type { AddressSpace, Region } from "./memory.js";

/** enum xdp_action. */
export const XDP_VERDICTS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"] as const;
export type XdpVerdict = (typeof XDP_VERDICTS)[number];

/** The name of an XDP return value; an unknown value acts as XDP_ABORTED (bpf_warn_invalid_xdp_action). */
export function verdictName(r0: bigint): XdpVerdict {
  return r0 < BigInt(XDP_VERDICTS.length) ? XDP_VERDICTS[Number(r0)]! : "XDP_ABORTED";
}

/** XDP_PACKET_HEADROOM: room in front of the frame for adjust_head and metadata. */
export const XDP_HEADROOM = 256;
/** Room behind the frame for adjust_tail to grow into. */
export const XDP_TAILROOM = 256;
/** sizeof(struct xdp_frame) on 64-bit kernels: adjust_head/meta may not move into it. */
export const XDP_FRAME_RESERVED = 40;
/** ETH_HLEN: adjust_head/tail keep at least an Ethernet header. */
export const ETH_HLEN = 14;
/** Metadata must be a multiple of 4 bytes and at most 32 (xdp_metalen_invalid). */
export const XDP_META_MAX = 32;

/** struct xdp_md field offsets; the first three are pointers the kernel widens on load. */
export const XDP_MD = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20, size: 24 } as const;

export interface XdpMeta {
  ingressIfindex: number;
  rxQueueIndex: number;
}

/** The live packet of one XDP run: offsets into `region.bytes` for meta, data and end. */
export interface XdpPacket {
  readonly region: Region;
  meta: number;
  data: number;
  end: number;
}

export function createXdpPacket(space: AddressSpace, frame: Uint8Array): XdpPacket {
  const buf = new Uint8Array(XDP_HEADROOM + frame.length + XDP_TAILROOM);
  buf.set(frame, XDP_HEADROOM);
  const region = space.add("packet", buf, true);
  const pkt: XdpPacket = { region, meta: XDP_HEADROOM, data: XDP_HEADROOM, end: XDP_HEADROOM + frame.length };
  syncWindow(pkt);
  return pkt;
}

/** Only [data_meta, data_end) is addressable, as the verifier's packet bounds allow. */
export function syncWindow(pkt: XdpPacket): void {
  pkt.region.lo = pkt.meta;
  pkt.region.hi = pkt.end;
}

export function createXdpContext(space: AddressSpace, pkt: XdpPacket, meta: XdpMeta): Region {
  const ptr = (off: number) => pkt.region.base + BigInt(off);
  return space.add("xdp_md", new Uint8Array(XDP_MD.size), false, {
    // The kernel converts 4-byte loads of data/data_end/data_meta into 64-bit pointer loads.
    load: (off, size) => {
      if (size !== 4) return undefined;
      switch (off) {
        case XDP_MD.data: return ptr(pkt.data);
        case XDP_MD.data_end: return ptr(pkt.end);
        case XDP_MD.data_meta: return ptr(pkt.meta);
        case XDP_MD.ingress_ifindex: return BigInt(meta.ingressIfindex >>> 0);
        case XDP_MD.rx_queue_index: return BigInt(meta.rxQueueIndex >>> 0);
        case XDP_MD.egress_ifindex: return 0n;
        default: return undefined;
      }
    },
  });
}

/** bpf_xdp_adjust_head: 0 or -EINVAL, moving metadata along with data. */
export function adjustHead(pkt: XdpPacket, delta: number): number {
  const data = pkt.data + delta;
  const metaLen = pkt.data - pkt.meta;
  if (data - metaLen < XDP_FRAME_RESERVED || data > pkt.end - ETH_HLEN) return -22;
  if (metaLen) pkt.region.bytes.copyWithin(pkt.meta + delta, pkt.meta, pkt.data);
  pkt.meta += delta;
  pkt.data = data;
  syncWindow(pkt);
  return 0;
}

/** bpf_xdp_adjust_meta: 0 or -EINVAL (-EACCES on a frame without metadata support is not modelled). */
export function adjustMeta(pkt: XdpPacket, delta: number): number {
  const meta = pkt.meta + delta;
  const len = pkt.data - meta;
  if (meta < XDP_FRAME_RESERVED || meta > pkt.data || len > XDP_META_MAX || (len & 3) !== 0) return -22;
  pkt.meta = meta;
  syncWindow(pkt);
  return 0;
}

/** bpf_xdp_adjust_tail: 0 or -EINVAL; grown bytes are zeroed as the kernel does. */
export function adjustTail(pkt: XdpPacket, delta: number): number {
  const end = pkt.end + delta;
  if (end > pkt.region.bytes.length || end < pkt.data + ETH_HLEN) return -22;
  if (delta > 0) pkt.region.bytes.fill(0, pkt.end, end);
  pkt.end = end;
  syncWindow(pkt);
  return 0;
}

/** The frame as the program left it. */
export function packetBytes(pkt: XdpPacket): Uint8Array {
  return pkt.region.bytes.slice(pkt.data, pkt.end);
}
