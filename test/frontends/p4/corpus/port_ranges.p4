// Port-range filtering for p4c's xdp_model: a table whose keys are the IPv4 protocol
// (ternary) and the TCP/UDP source and destination ports (range keys). Range keys make
// the table a tcam map; the control plane (STF `add ... key:lo..hi`, or JSON
// {"range": {"low", "high"}}) expands each range into its minimal prefix cover, every row
// with the entry's priority. The `mark` action writes its rule number into the IPv4
// identification field (the deparser writes it back), so the STF sees which rule matched;
// `deny` and a miss drop.
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

header Ports_h {
    bit<16> srcPort;
    bit<16> dstPort;
}

struct Headers_t {
    Ethernet_h ethernet;
    IPv4_h     ipv4;
    Ports_h    ports;
}

parser prs(packet_in p, out Headers_t headers) {
    state start {
        p.extract(headers.ethernet);
        transition select(headers.ethernet.etherType) {
            0x0800: ip;
            default: reject;
        }
    }
    state ip {
        p.extract(headers.ipv4);
        transition select(headers.ipv4.protocol) {
            6: l4;
            17: l4;
            default: reject;
        }
    }
    state l4 {
        p.extract(headers.ports);
        transition accept;
    }
}

control pipe(inout Headers_t headers, in xdp_input xin, out xdp_output xout) {
    action mark(bit<16> rule) {
        headers.ipv4.identification = rule;
        xout.output_action = xdp_action.XDP_PASS;
    }
    action deny() {
        xout.output_action = xdp_action.XDP_DROP;
    }
    table filter {
        key = {
            headers.ipv4.protocol : ternary;
            headers.ports.srcPort : range;
            headers.ports.dstPort : range;
        }
        actions = { mark; deny; }
        default_action = deny();
        size = 64;
    }
    apply {
        xout.output_port = 0;
        filter.apply();
    }
}

control dep(in Headers_t headers, packet_out packet) {
    apply {
        packet.emit(headers.ethernet);
        packet.emit(headers.ipv4);
        packet.emit(headers.ports);
    }
}

xdp(prs(), pipe(), dep()) main;
