// expect: invalid access to packet
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int no_bounds_check(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if ((void *)(data + 14) > data_end)
		return XDP_PASS;
	return data[14] == 0x45 ? XDP_DROP : XDP_PASS; // one byte past the checked header
}

char LICENSE[] SEC("license") = "GPL";
