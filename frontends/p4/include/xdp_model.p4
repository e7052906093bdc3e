// p4c's XDP architecture (p4c-xdp's xdp_model.p4), written for bpfoff with the same
// names. Meaning (frontends/p4/arch.ts): a parser reject drops the packet; the switch
// control sets omd.output_action; unless it is XDP_DROP or XDP_ABORTED the deparser
// rebuilds the packet's headers; XDP_REDIRECT sends it to omd.output_port (bpf_redirect).
#ifndef _XDP_MODEL_P4_
#define _XDP_MODEL_P4_

#include <ebpf_model.p4>

// In the order of the Linux enum xdp_action, so the values are the kernel's.
enum xdp_action {
    XDP_ABORTED,
    XDP_DROP,
    XDP_PASS,
    XDP_TX,
    XDP_REDIRECT
}

struct xdp_input {
    bit<32> input_port;
}

struct xdp_output {
    xdp_action output_action;
    bit<32> output_port;
}

// RFC 1624 incremental checksum updates, and the IPv4 header checksum (RFC 791).
extern bit<16> ebpf_ipv4_checksum(in bit<4> version, in bit<4> ihl, in bit<8> diffserv,
                                  in bit<16> totalLen, in bit<16> identification, in bit<3> flags,
                                  in bit<13> fragOffset, in bit<8> ttl, in bit<8> protocol,
                                  in bit<32> srcAddr, in bit<32> dstAddr);
extern bit<16> csum_replace2(in bit<16> csum, in bit<16> old, in bit<16> new);
extern bit<16> csum_replace4(in bit<16> csum, in bit<32> old, in bit<32> new);

parser xdp_parse<H>(packet_in packet, out H headers);
control xdp_switch<H>(inout H headers, in xdp_input imd, out xdp_output omd);
control xdp_deparse<H>(in H headers, packet_out packet);

package xdp<H>(xdp_parse<H> p, xdp_switch<H> s, xdp_deparse<H> d);

#endif
