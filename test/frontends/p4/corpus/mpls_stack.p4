// An MPLS label stack for p4c's xdp_model, exercising header stacks at run time and the
// CRC hashes: the parser fills a 3-deep stack with .next until the bottom-of-stack bit
// (a fourth label is error.StackOutOfBounds: reject). The source MAC's low byte picks a
// label by a run-time index (hdr.mpls[i], read and written); the destination MAC's low
// bits push a new top label (push_front) or pop the top one (pop_front). An info header
// appended after the stack carries the picked label and bmv2's crc32 and crc16 of the
// Ethernet addresses.
#include <core.p4>
#include <xdp_model.p4>

header Ethernet_h {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header Mpls_h {
    bit<20> label;
    bit<3>  tc;
    bit<1>  bos;
    bit<8>  ttl;
}

header Info_h {
    bit<32> crc32;
    bit<16> crc16;
    bit<24> label;
}

struct Headers {
    Ethernet_h ethernet;
    Mpls_h[3]  mpls;
    Info_h     info;
}

parser Parser(packet_in packet, out Headers hdr) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            0x8847: parse_mpls;
            default: accept;
        }
    }
    state parse_mpls {
        packet.extract(hdr.mpls.next);
        transition select(hdr.mpls.last.bos) {
            1: accept;
            default: parse_mpls;
        }
    }
}

control Ingress(inout Headers hdr, in xdp_input xin, out xdp_output xout) {
    apply {
        xout.output_action = xdp_action.XDP_PASS;
        xout.output_port = 0;
        if (!hdr.ethernet.isValid() || hdr.ethernet.etherType != 0x8847) {
            return;
        }
        bit<8> i = hdr.ethernet.srcAddr[7:0];
        hdr.info.setValid();
        // A run-time index: an element past the stack reads as an invalid header of zeros.
        hdr.info.label = (bit<24>)hdr.mpls[i].label;
        if (hdr.mpls[i].isValid()) {
            hdr.mpls[i].ttl = hdr.mpls[i].ttl - 1;
        }
        if (hdr.ethernet.dstAddr[0:0] == 1) {
            hdr.mpls.push_front(1);
            hdr.mpls[0].setValid();
            hdr.mpls[0].label = 99;
            hdr.mpls[0].tc = 0;
            hdr.mpls[0].bos = 0;
            hdr.mpls[0].ttl = 64;
        }
        if (hdr.ethernet.dstAddr[1:1] == 1) {
            hdr.mpls.pop_front(1);
        }
        hash(hdr.info.crc32, HashAlgorithm.crc32, 32w0, { hdr.ethernet.dstAddr, hdr.ethernet.srcAddr }, 32w0);
        hash(hdr.info.crc16, HashAlgorithm.crc16, 16w0, { hdr.ethernet.dstAddr, hdr.ethernet.srcAddr }, 32w0);
    }
}

control Deparser(in Headers hdr, packet_out packet) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.mpls);
        packet.emit(hdr.info);
    }
}

xdp(Parser(), Ingress(), Deparser()) main;
