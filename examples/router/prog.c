// SPDX-License-Identifier: GPL-2.0
// IPv4 router: longest-prefix-match the destination, decrement the TTL (with an
// incremental checksum update), rewrite the MAC addresses for the next hop and
// redirect to the route's interface.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct route_key {
	__u32 prefixlen; // host byte order, as the LPM trie requires
	__u32 addr;      // network byte order: the trie matches bytes most significant first
};

struct route {
	__u32 ifindex;   // egress interface
	__u8 dmac[6];    // next hop's MAC
	__u8 smac[6];    // egress interface's MAC
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC); // required for LPM tries
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word m changed to m'.
// All values in host byte order; the ones' complement sum is byte-order independent,
// but host order keeps the arithmetic readable.
static __always_inline __u16 csum_update16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32)new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS; // ARP, IPv6, ...: the stack's business
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP; // truncated IPv4 header: cannot be forwarded
	if (ip->version != 4 || ip->ihl < 5)
		return XDP_DROP; // malformed header

	struct route_key key = { .prefixlen = 32, .addr = ip->daddr };
	struct route *rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt)
		return XDP_PASS; // no route: local delivery or the slow path decides
	// Checked after the lookup, so that packets for this host (no route here) are
	// delivered whatever their TTL. A real router would send ICMP time exceeded;
	// that is left out.
	if (ip->ttl <= 1)
		return XDP_DROP;

	// The TTL shares its 16-bit header word with the protocol field.
	__u16 old = ((__u16)ip->ttl << 8) | ip->protocol;
	ip->ttl--;
	__u16 new = ((__u16)ip->ttl << 8) | ip->protocol;
	ip->check = bpf_htons(csum_update16(bpf_ntohs(ip->check), old, new));

	__builtin_memcpy(eth->h_dest, rt->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, rt->smac, ETH_ALEN);
	return bpf_redirect(rt->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
