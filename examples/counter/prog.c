// SPDX-License-Identifier: GPL-2.0
// Per-source accounting: count packets and bytes for every IPv4 source address.
// Never changes the verdict: every packet is passed.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counters {
	__u64 packets;
	__u64 bytes; // frame length from the Ethernet header to the end of the packet
};

// Key: IPv4 source address in network byte order (as it sits in the packet).
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

SEC("xdp")
int counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	// No source address to account to: not counted.
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;

	__u32 saddr = ip->saddr;
	__u64 len = data_end - data;
	struct counters *c = bpf_map_lookup_elem(&counters, &saddr);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
		return XDP_PASS;
	}
	struct counters first = { .packets = 1, .bytes = len };
	// BPF_NOEXIST: if another CPU inserted this source since our lookup, do not
	// overwrite its counts; add to them instead.
	if (bpf_map_update_elem(&counters, &saddr, &first, BPF_NOEXIST) != 0) {
		c = bpf_map_lookup_elem(&counters, &saddr);
		if (c) {
			__sync_fetch_and_add(&c->packets, 1);
			__sync_fetch_and_add(&c->bytes, len);
		}
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
