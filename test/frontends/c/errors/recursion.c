#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static int depth(int n)
{
	return n ? depth(n - 1) : 0;
}

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	return depth(3);
}
