// SPDX-License-Identifier: GPL-2.0
// Registers as stateful ALU programs (docs/asic-pipeline.md §Stateful ALUs): per ingress
// port, a packet sequence number read and incremented (`v = seq[i]; seq[i] = v + 1`), the
// number read deciding the verdict afterwards (every fourth packet of a port is dropped);
// a flag register whose bits are set (`f = flags[i]; flags[i] = f | bits`) with the old flags
// written into the packet; a per-port last-length register that is only written; and two
// updates under the SALU's own condition on the old value: the longest frame per port
// (`if (len > m) max_len[i] = len`: max) and a counter that stops at 3 (`if (s < 3)
// sat[i] = s + 1`).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} flags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} last_len SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} max_len SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} sat SEC(".maps");

SEC("xdp")
int regs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	// The port from the first byte of the source MAC: packets choose their register element.
	__u32 port = eth->h_source[5] & 7;
	__u32 *f = bpf_map_lookup_elem(&flags, &port);
	if (f) {
		__u32 old = *f;
		*f = old | (eth->h_dest[5] & 0xf0);
		eth->h_dest[0] = old & 0xff;
	}
	__u32 *l = bpf_map_lookup_elem(&last_len, &port);
	if (l)
		*l = data_end - data;
	__u32 *mx = bpf_map_lookup_elem(&max_len, &port);
	if (mx) {
		__u32 len = data_end - data;
		__u32 m = *mx;
		if (len > m)
			*mx = len;
	}
	__u32 *st = bpf_map_lookup_elem(&sat, &port);
	if (st) {
		__u32 s = *st;
		if (s < 3)
			*st = s + 1;
	}
	__u32 *v = bpf_map_lookup_elem(&seq, &port);
	if (!v)
		return XDP_ABORTED;
	__u32 n = *v;
	*v = n + 1;
	if ((n & 3) == 3)
		return XDP_DROP;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
