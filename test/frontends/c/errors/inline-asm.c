#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	asm volatile("r0 = 1");
	return XDP_PASS;
}
