// A parser exercise for p4c's xdp_model: select with masks (0x8100 and 0x9100 VLAN
// ethertypes in one case), ranges, tuples and default; a header stack of two VLAN tags
// filled with .next and read with .last (a third tag is error.StackOutOfBounds: reject);
// verify, lookahead and advance; a table of const entries with range keys; int<8> casts;
// the deparser emitting the stack, so that popping a tag shrinks the packet.
#include <core.p4>
#include <xdp_model.p4>

header Ethernet_h {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header Vlan_h {
    bit<3>  pcp;
    bit<1>  cfi;
    bit<12> vid;
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

header Udp_h {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<16> length;
    bit<16> checksum;
}

struct Headers {
    Ethernet_h ethernet;
    Vlan_h[2]  vlan;
    IPv4_h     ipv4;
    Udp_h      udp;
}

parser Parser(packet_in packet, out Headers hdr) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            0x8100 &&& 0xefff: parse_vlan;
            0x0800: parse_ipv4;
            0x0000 .. 0x05dc: reject;       // an 802.3 length field: not handled
            default: accept;
        }
    }
    state parse_vlan {
        packet.extract(hdr.vlan.next);
        transition select(hdr.vlan.last.etherType) {
            0x8100 &&& 0xefff: parse_vlan;
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        // The version nibble, seen before extracting.
        bit<8> first = packet.lookahead<bit<8>>();
        verify(first[7:4] == 4, error.HeaderTooShort);
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.ihl, hdr.ipv4.protocol) {
            (5, 17): parse_udp;
            (6, 17): skip_option;
            (_, _): accept;
        }
    }
    state skip_option {
        packet.advance(32);
        transition parse_udp;
    }
    state parse_udp {
        packet.extract(hdr.udp);
        transition accept;
    }
}

control Ingress(inout Headers hdr, in xdp_input xin, out xdp_output xout) {
    action set_class(bit<8> dscp) {
        hdr.ipv4.diffserv = dscp;
    }
    action untag() {
        hdr.ethernet.etherType = hdr.vlan[0].etherType;
        hdr.vlan[0].setInvalid();
    }
    table classify {
        key = { hdr.udp.dstPort : range; hdr.vlan[0].vid : exact; }
        actions = { set_class; untag; NoAction; }
        const entries = {
            (1 .. 1023, 10)   : set_class(8w0x20);
            (1024 .. 65535, 10) : set_class(0x40);
            (_, 20)           : untag();
        }
        default_action = NoAction();
    }
    apply {
        xout.output_action = xdp_action.XDP_PASS;
        // A TTL of 128 or more is negative as int<8>: such packets are dropped.
        if ((int<8>) hdr.ipv4.ttl < 0) {
            xout.output_action = xdp_action.XDP_DROP;
            return;
        }
        if (hdr.vlan[1].isValid()) {
            xout.output_action = xdp_action.XDP_TX;
        }
        if (hdr.udp.isValid() || hdr.vlan[0].isValid()) {
            classify.apply();
        }
    }
}

control Deparser(in Headers hdr, packet_out packet) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.vlan);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.udp);
    }
}

xdp(Parser(), Ingress(), Deparser()) main;
