#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<8> a; bit<32> b; }
struct H { h_t h; }

parser prs(packet_in p, out H hd) {
    state start { p.extract(hd.h); transition accept; }
}

control pipe(inout H hd, out bool pass) {
    apply {
        bit<4> small = 8w3;
        pass = hd.h.b == 16w7;
        if (hd.h.a[9:2] == 0) { pass = false; }
    }
}

ebpfFilter(prs(), pipe()) main;
