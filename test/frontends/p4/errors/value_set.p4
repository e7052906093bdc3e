#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<16> t; bit<8> a; }
struct H { h_t h; }

parser prs(packet_in p, out H hd) {
    value_set<bit<16>>(4) types;
    state start {
        p.extract(hd.h);
        transition select(hd.h.a) {
            types: accept;
            default: reject;
        }
    }
}

control pipe(inout H hd, out bool pass) { apply { pass = true; } }

ebpfFilter(prs(), pipe()) main;
