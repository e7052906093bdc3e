// An IPv4 router for p4c's xdp_model: longest-prefix match on the destination sets the
// next hop's MAC addresses and the output port; TTL is decremented with an incremental
// checksum update (RFC 1624); the deparser writes the headers back; TTL expiry and
// misses are dropped.
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

struct Headers {
    Ethernet_h ethernet;
    IPv4_h     ipv4;
}

parser Parser(packet_in packet, out Headers hd) {
    state start {
        packet.extract(hd.ethernet);
        transition select(hd.ethernet.etherType) {
            16w0x800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hd.ipv4);
        verify(hd.ipv4.version == 4, error.HeaderTooShort);
        transition accept;
    }
}

control Ingress(inout Headers hdr, in xdp_input xin, out xdp_output xout) {
    action set_nexthop(bit<48> dmac, bit<48> smac, bit<32> port) {
        hdr.ethernet.dstAddr = dmac;
        hdr.ethernet.srcAddr = smac;
        xout.output_port = port;
        xout.output_action = xdp_action.XDP_REDIRECT;
    }
    action drop() {
        xout.output_action = xdp_action.XDP_DROP;
    }
    table routes {
        key = { hdr.ipv4.dstAddr : lpm; }
        actions = { set_nexthop; drop; }
        default_action = drop();
        size = 128;
    }
    apply {
        xout.output_action = xdp_action.XDP_PASS;
        if (!hdr.ipv4.isValid()) {
            return;
        }
        if (hdr.ipv4.ttl <= 1) {
            drop();
            exit;
        }
        if (routes.apply().hit) {
            bit<16> old = hdr.ipv4.ttl ++ hdr.ipv4.protocol;
            hdr.ipv4.ttl = hdr.ipv4.ttl - 1;
            hdr.ipv4.hdrChecksum = csum_replace2(hdr.ipv4.hdrChecksum, old, hdr.ipv4.ttl ++ hdr.ipv4.protocol);
        }
    }
}

control Deparser(in Headers hdrs, packet_out packet) {
    apply {
        packet.emit(hdrs.ethernet);
        packet.emit(hdrs.ipv4);
    }
}

xdp(Parser(), Ingress(), Deparser()) main;
