// SPDX-License-Identifier: GPL-2.0
// VLAN filter: parse up to two stacked 802.1ad/802.1Q tags, drop the frame unless
// every tag's VLAN id is allowed, and pop the outer tag of allowed frames.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_TAGS 2
#define VLAN_VID_MASK 0x0fff

// The 4 bytes a tag adds after the source MAC (its TPID is the previous ethertype).
struct vlan_hdr {
	__be16 tci;        // PCP (3 bits), DEI (1 bit), VLAN id (12 bits)
	__be16 encap_proto;
};

// Index: VLAN id (0-4095). Value: non-zero when the VLAN is allowed. Array entries
// start zeroed, so every VLAN not listed in maps.json is dropped.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} allowed SEC(".maps");

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	__be16 proto = eth->h_proto;
	void *cursor = eth + 1;
	int tags = 0;
	// Bounded loop: at most MAX_TAGS tags are parsed.
#pragma unroll
	for (int i = 0; i < MAX_TAGS; i++) {
		if (!is_vlan(proto))
			break;
		struct vlan_hdr *vh = cursor;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP; // tag cut short
		__u32 vid = bpf_ntohs(vh->tci) & VLAN_VID_MASK;
		__u32 *ok = bpf_map_lookup_elem(&allowed, &vid);
		if (!ok || *ok == 0)
			return XDP_DROP;
		proto = vh->encap_proto;
		cursor = vh + 1;
		tags++;
	}
	if (tags == 0)
		return XDP_PASS; // untagged: nothing to filter
	if (is_vlan(proto))
		return XDP_DROP; // more tags than we parse: refuse rather than guess

	// Pop the outer tag: move the MAC addresses 4 bytes forward, then drop the first
	// 4 bytes. The new Ethernet type is the outer tag's encapsulated protocol, which
	// already sits right after where the MACs land.
	__u8 macs[2 * ETH_ALEN];
	__builtin_memcpy(macs, eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_hdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	// adjust_head invalidates earlier packet checks: prove the bounds again.
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth, macs, sizeof(macs));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
