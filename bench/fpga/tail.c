// Tail calls and redirect_map on the FPGA engine (bench/fpga/README.md): the entry
// program tail-calls by the first byte through the prog_array jmp; fwd redirects through
// the devmap ports by the second byte; pop removes 4 bytes and sends the frame back.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jmp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } ports SEC(".maps");
SEC("xdp") int entry(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 1 > end) return XDP_PASS;
	__u32 k = *(__u8 *)data & 3;
	bpf_tail_call(ctx, &jmp, k);
	return XDP_DROP;
}
SEC("xdp") int fwd(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + 2 > end) return XDP_ABORTED;
	return bpf_redirect_map(&ports, *(__u8 *)(data + 1) & 3, XDP_PASS);
}
SEC("xdp") int pop(struct xdp_md *ctx) {
	if (bpf_xdp_adjust_head(ctx, 4)) return XDP_ABORTED;
	return XDP_TX;
}
char LICENSE[] SEC("license") = "GPL";
