// p4c frontend-style source for the ebpf target, as p4c itself prints it: @name and
// @noWarn annotations, explicit type arguments on extract, a typedef with an annotation,
// `implementation = hash_table(...)`, bool action data and const entries.
#include <core.p4>
#include <ebpf_model.p4>

@ethernetaddress typedef bit<48> EthernetAddress;

header Ethernet_h {
    EthernetAddress destination;
    EthernetAddress source;
    bit<16> protocol;
}

struct Headers_t {
    Ethernet_h ethernet;
}

parser prs(packet_in p, out Headers_t headers) {
    state start {
        p.extract<Ethernet_h>(headers.ethernet);
        transition accept;
    }
}

control pipe(inout Headers_t headers, out bool pass) {
    @noWarn("unused") @name(".NoAction") action NoAction_1() {
    }
    @name("pipe.set_pass") action set_pass(@name("act") bool act) {
        pass = act;
    }
    @name("pipe.tbl") table tbl_0 {
        key = {
            headers.ethernet.protocol: exact @name("headers.ethernet.protocol");
        }
        actions = {
            set_pass();
            NoAction_1();
        }
        const entries = {
            16w0x800 : set_pass(true);
            16w0xd000 : set_pass(false);
        }
        implementation = hash_table(32w64);
        default_action = NoAction_1();
    }
    apply {
        pass = true;
        tbl_0.apply();
    }
}

ebpfFilter<Headers_t>(prs(), pipe()) main;
