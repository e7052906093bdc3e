// bpfoff's own XDP architecture (XdpSwitch, user metadata) with the externs: a header
// union (IPv4 or IPv6 after the Ethernet header), a per-port packet counter, a byte
// counter, a register remembering the last flow hash per port, hash() over a tuple of
// fields, checksum16 to validate the IPv4 header, enum and error values, constants,
// typedefs, bit slices and concatenation, if/else, exit, a switch with default, and
// bit<128> IPv6 addresses (compared and swapped).
#include <core.p4>
#include <bpfoff_xdp.p4>

typedef bit<48> mac_t;
const bit<16> TYPE_IPV4 = 0x0800;
const bit<16> TYPE_IPV6 = 0x86dd;

enum bit<8> Proto { TCP = 6, UDP = 17 }

header Ethernet_h { mac_t dst; mac_t src; bit<16> etherType; }
header IPv4_h {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> totalLen;
    bit<16> identification; bit<3> flags; bit<13> fragOffset;
    bit<8> ttl; bit<8> protocol; bit<16> hdrChecksum;
    bit<32> srcAddr; bit<32> dstAddr;
}
header IPv6_h {
    bit<4> version; bit<8> trafficClass; bit<20> flowLabel;
    bit<16> payloadLen; bit<8> nextHdr; bit<8> hopLimit;
    bit<128> srcAddr; bit<128> dstAddr;
}
header_union IP_h { IPv4_h v4; IPv6_h v6; }

struct Headers { Ethernet_h eth; IP_h ip; }
struct Meta { bit<8> l4proto; bool ipv6; }

parser P(packet_in packet, out Headers hdr, inout Meta meta, in xdp_input imd) {
    state start {
        packet.extract(hdr.eth);
        transition select(hdr.eth.etherType) {
            TYPE_IPV4: v4;
            TYPE_IPV6: v6;
            default: accept;
        }
    }
    state v4 {
        packet.extract(hdr.ip.v4);
        meta.l4proto = hdr.ip.v4.protocol;
        transition accept;
    }
    state v6 {
        packet.extract(hdr.ip.v6);
        meta.l4proto = hdr.ip.v6.nextHdr;
        meta.ipv6 = true;
        transition accept;
    }
}

control Pipe(inout Headers hdr, inout Meta meta, in xdp_input imd, out xdp_output omd) {
    counter(32w16, CounterType.packets) packets;
    counter(32w16, CounterType.bytes) bytes;
    register<bit<32>>(32w16) lastFlow;

    action count_and_pass() {
        packets.count(imd.input_port);
        bytes.count(imd.input_port);
        omd.output_action = xdp_action.XDP_PASS;
    }
    apply {
        omd.output_action = xdp_action.XDP_DROP;
        omd.output_port = 0;
        // A union is valid when a member is (§8.20): not IP, nothing to count.
        if (!hdr.ip.isValid()) {
            exit;
        }
        if (hdr.ip.v4.isValid()) {
            // A header whose checksum is wrong is dropped: the sum over all fields is 0.
            if (checksum16({hdr.ip.v4.version, hdr.ip.v4.ihl, hdr.ip.v4.diffserv, hdr.ip.v4.totalLen,
                            hdr.ip.v4.identification, hdr.ip.v4.flags, hdr.ip.v4.fragOffset,
                            hdr.ip.v4.ttl, hdr.ip.v4.protocol, hdr.ip.v4.hdrChecksum,
                            hdr.ip.v4.srcAddr, hdr.ip.v4.dstAddr}) != 0) {
                exit;
            }
            bit<32> h;
            hash(h, HashAlgorithm.xor16, 32w0, {hdr.ip.v4.srcAddr, hdr.ip.v4.dstAddr, hdr.ip.v4.protocol ++ 8w0}, 32w0);
            lastFlow.write(imd.input_port, h);
            // TTL 1 leaves the switch below through its default.
            bit<8> ttlClass = hdr.ip.v4.ttl[7:6] ++ 6w0;
            switch (ttlClass) {
                0x00: { if (hdr.ip.v4.ttl[5:0] == 1) { return; } }
                default: { }
            }
            count_and_pass();
        } else if (meta.ipv6 && meta.l4proto == (bit<8>) Proto.UDP) {
            // bit<128> fields: compared and copied (a reply goes back with the addresses swapped).
            if (hdr.ip.v6.srcAddr == hdr.ip.v6.dstAddr || hdr.ip.v6.dstAddr == 128w0) {
                return;
            }
            count_and_pass();
            bit<128> tmp = hdr.ip.v6.srcAddr;
            hdr.ip.v6.srcAddr = hdr.ip.v6.dstAddr;
            hdr.ip.v6.dstAddr = tmp;
            omd.output_action = xdp_action.XDP_TX;
        }
    }
}

control D(in Headers hdr, in Meta meta, packet_out packet) {
    apply {
        packet.emit(hdr.eth);
        packet.emit(hdr.ip);
    }
}

XdpSwitch(P(), Pipe(), D()) main;
