#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	char buf[16];
	void *data = (void *)(long)ctx->data;
	__builtin_memcpy(buf, data, ctx->data_end - ctx->data);
	return XDP_PASS;
}
