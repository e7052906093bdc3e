#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<8> a; }
struct H { h_t h; }

parser prs(packet_in p, out H hd) {
    state start {
        p.extract(hd.h);
        transition select(hd.h.a) { 1: parse_more; default: accept; }
    }
}

control pipe(inout H hd, out bool pass) {
    apply { pass = true; }
}

ebpfFilter(prs(), pipe()) main;
