#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

_Static_assert(sizeof(struct xdp_md) == 20, "xdp_md grew");

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}
