// SPDX-License-Identifier: GPL-2.0
// L4 load balancer: TCP and UDP packets for the virtual IP are sent back out of the
// interface they came in on (XDP_TX) towards a backend chosen by a hash of the
// 5-tuple, with the destination IP rewritten to the backend's address.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_BACKENDS 16

struct lb_config {
	__u32 vip;           // network byte order
	__u32 backend_count; // backends[0 .. backend_count-1] are in service
};

struct backend {
	__u32 addr;   // network byte order
	__u8 mac[6];  // backend's MAC (or its next hop's)
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

// RFC 1624 eqn. 3 for a changed 32-bit field (two 16-bit words), host byte order.
static __always_inline __u16 csum_update32(__u16 check, __u32 old, __u32 new)
{
	__u32 sum = (__u16)~check;
	sum += (__u16)~(old >> 16) + (__u16)~(old & 0xffff);
	sum += (new >> 16) + (new & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

// FNV-1a over 32-bit words (not bytes): cheap, and simple to state exactly.
static __always_inline __u32 fnv_step(__u32 h, __u32 word)
{
	return (h ^ word) * 16777619u;
}

SEC("xdp")
int loadbalancer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP; // truncated IPv4 header

	__u32 zero = 0;
	struct lb_config *cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg || ip->daddr != cfg->vip)
		return XDP_PASS; // not for the VIP: the host's own traffic
	// IP options and fragments (no L4 header after the first) go to the slow path.
	if (ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) != 0)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS; // e.g. ICMP echo to the VIP: answered by the host

	void *l4 = (void *)(ip + 1);
	// TCP and UDP both start with source and destination ports.
	struct udphdr *ports = l4;
	__u16 *l4check;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP; // truncated TCP header
		l4check = &tcp->check;
	} else {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP; // truncated UDP header
		l4check = &udp->check;
	}

	__u32 count = cfg->backend_count;
	if (count == 0 || count > MAX_BACKENDS)
		return XDP_PASS; // no backend in service: let the host answer

	__u32 h = 2166136261u; // FNV offset basis
	h = fnv_step(h, bpf_ntohl(ip->saddr));
	h = fnv_step(h, bpf_ntohl(ip->daddr));
	h = fnv_step(h, ((__u32)bpf_ntohs(ports->source) << 16) | bpf_ntohs(ports->dest));
	h = fnv_step(h, ip->protocol);
	__u32 idx = h % count;
	struct backend *be = bpf_map_lookup_elem(&backends, &idx);
	if (!be)
		return XDP_ABORTED; // cannot happen: idx < MAX_BACKENDS

	__u32 old = bpf_ntohl(ip->daddr);
	__u32 new = bpf_ntohl(be->addr);
	ip->check = bpf_htons(csum_update32(bpf_ntohs(ip->check), old, new));
	// The L4 checksum covers the pseudo-header, which holds the destination address.
	// A zero UDP checksum means "none" (RFC 768) and stays zero; a computed zero is
	// sent as 0xffff.
	__u16 check = *l4check;
	if (ip->protocol == IPPROTO_TCP || check != 0) {
		__u16 c = csum_update32(bpf_ntohs(check), old, new);
		if (ip->protocol == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*l4check = bpf_htons(c);
	}
	ip->daddr = be->addr;

	// Back out of the same port: we become the source, the backend the destination.
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
