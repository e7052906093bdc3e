#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<8> a; bit<8> len; }
header opt_t { bit<8> kind; varbit<64> data; }
struct H { h_t h; opt_t o; h_t[2] s; }

parser prs(packet_in p, out H hd) {
    state start {
        p.extract(hd.h, 32w8);
        p.extract(hd.o);
        transition accept;
    }
}

control pipe(inout H hd, out bool pass) {
    apply {
        bit<8> n = 1;
        hd.s.push_front(n);
        hd.s[true].a = 1;
        hd.s[hd.h.len].a = 2;
        pass = true;
    }
}

ebpfFilter(prs(), pipe()) main;
