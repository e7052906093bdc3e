// An L2 filter for p4c's ebpf_model: frames whose destination MAC is in the exact-match
// table pass when the table's action says so; unknown destinations are dropped.
#include <core.p4>
#include <ebpf_model.p4>

typedef bit<48> EthernetAddress;

header Ethernet_h {
    EthernetAddress dstAddr;
    EthernetAddress srcAddr;
    bit<16>         etherType;
}

struct Headers_t {
    Ethernet_h ethernet;
}

parser prs(packet_in p, out Headers_t headers) {
    state start {
        p.extract(headers.ethernet);
        transition accept;
    }
}

control pipe(inout Headers_t headers, out bool pass) {
    CounterArray(32w16, false) forwarded;

    action forward(bit<32> port) {
        pass = true;
        forwarded.increment(port);
    }
    action drop() {
        pass = false;
    }
    table dmac {
        key = { headers.ethernet.dstAddr : exact; }
        actions = { forward; drop; }
        default_action = drop();
        size = 64;
    }
    apply {
        pass = false;
        dmac.apply();
    }
}

ebpfFilter(prs(), pipe()) main;
