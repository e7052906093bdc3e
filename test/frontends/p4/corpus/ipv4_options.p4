// IPv4 options as a varbit for p4c's xdp_model: the parser extracts the fixed header, then
// the options with the two-argument extract, (ihl - 5) * 32 bits (more than the 320 a
// varbit<320> holds, or bytes missing, rejects). The deparser emits the options back as
// many bytes as they were; diffserv 1 asks for them to be stripped (ihl and totalLen
// adjusted, the header made invalid so that it is not emitted). A packet whose totalLen is
// below the header's minimum size (minSizeInBytes) is dropped.
#include <core.p4>
#include <xdp_model.p4>

header Ethernet_h {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header IPv4_h {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> totalLen;
    bit<16> identification;
    bit<3>  flags;
    bit<13> fragOffset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdrChecksum;
    bit<32> srcAddr;
    bit<32> dstAddr;
}

header IPv4_options_h {
    varbit<320> options;
}

struct Headers {
    Ethernet_h     ethernet;
    IPv4_h         ipv4;
    IPv4_options_h opts;
}

parser Parser(packet_in packet, out Headers hdr) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        packet.extract(hdr.opts, ((bit<32>)hdr.ipv4.ihl - 5) * 32);
        transition accept;
    }
}

control Ingress(inout Headers hdr, in xdp_input xin, out xdp_output xout) {
    apply {
        xout.output_action = xdp_action.XDP_PASS;
        xout.output_port = 0;
        if (!hdr.ipv4.isValid()) {
            return;
        }
        if (hdr.ipv4.totalLen < (bit<16>)hdr.ipv4.minSizeInBytes() || hdr.opts.minSizeInBits() != 0) {
            xout.output_action = xdp_action.XDP_DROP;
            return;
        }
        if (hdr.ipv4.diffserv == 1) {
            bit<16> optBytes = ((bit<16>)hdr.ipv4.ihl - 5) * 4;
            hdr.ipv4.totalLen = hdr.ipv4.totalLen - optBytes;
            hdr.ipv4.ihl = 5;
            hdr.opts.setInvalid();
        }
    }
}

control Deparser(in Headers hdr, packet_out packet) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.opts);
    }
}

xdp(Parser(), Ingress(), Deparser()) main;
