// SPDX-License-Identifier: GPL-2.0
// Pushes 4 bytes in front of the packet and writes none of them: the deparser has nothing to
// emit them from (no container holds them), so the asic build refuses it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int push(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_DROP;
	return XDP_PASS;
}
char _license[] SEC("license") = "GPL";
