// SPDX-License-Identifier: GPL-2.0
// Source-address firewall: drop IPv4 packets whose source address is in a blocklist,
// counting the drops per address; pass everything else.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// Key: IPv4 source address as it sits in the packet (network byte order), so that
// maps.json lists addresses byte by byte in their usual reading order.
// Value: number of packets dropped for that source.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} blocklist SEC(".maps");

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	// A frame too short for an Ethernet header is not ours to judge: the stack drops it.
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	struct iphdr *ip = (void *)(eth + 1);
	// Claims IPv4 but the header is cut short: the source cannot be checked, so it
	// must not slip through a firewall.
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;

	__u32 saddr = ip->saddr;
	__u64 *hits = bpf_map_lookup_elem(&blocklist, &saddr);
	if (hits) {
		// Several CPUs may drop from the same source at once.
		__sync_fetch_and_add(hits, 1);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
