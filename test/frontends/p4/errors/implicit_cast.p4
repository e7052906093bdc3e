#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<8> a; bit<16> b; }
struct H { h_t h; }

parser prs(packet_in p, out H hd) {
    state start { p.extract(hd.h); transition accept; }
}

control pipe(inout H hd, out bool pass) {
    apply {
        // bit<8> + bit<16>: the spec allows no implicit widening (§8.11.2)
        hd.h.b = hd.h.a + hd.h.b;
        pass = hd.h.a;
    }
}

ebpfFilter(prs(), pipe()) main;
