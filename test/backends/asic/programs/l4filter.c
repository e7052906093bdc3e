// SPDX-License-Identifier: GPL-2.0
// A port filter that finds the L4 header after IPv4 options (ip->ihl * 4): the asic
// parser's IPv4 state has a row per ihl value with its own shift (docs/asic-pipeline.md).
// A TCP/UDP packet whose destination port is in `verdicts` gets the verdict stored there;
// telnet (23) is dropped outright; a packet to the echo port (7) has its ports swapped and
// goes back out.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ports {
	__u16 source;
	__u16 dest;
};

// Key: the destination port as it sits in the packet (network byte order); value: an XDP verdict.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u32);
} verdicts SEC(".maps");

SEC("xdp")
int l4filter(struct xdp_md *ctx)
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
		return XDP_DROP;
	if (ip->ihl < 5)
		return XDP_DROP;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	// The L4 header starts after the options: its offset is a multiple of the length field.
	struct ports *l4 = (void *)ip + ip->ihl * 4;
	if ((void *)(l4 + 1) > data_end)
		return XDP_DROP;
	if (l4->dest == bpf_htons(23))
		return XDP_DROP;
	__u16 dport = l4->dest;
	__u32 *verdict = bpf_map_lookup_elem(&verdicts, &dport);
	if (verdict)
		return *verdict;
	if (dport == bpf_htons(7)) {
		l4->dest = l4->source;
		l4->source = dport;
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
