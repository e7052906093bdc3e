#include <core.p4>
#include <ebpf_model.p4>

header h_t { bit<8> a; int<8> s; }
struct H { h_t h; }

parser prs(packet_in p, out H hd) {
    state start { p.extract(hd.h); transition accept; }
}

control pipe(inout H hd, out bool pass) {
    action mark(in bit<8> v) { hd.h.a = v; }
    apply {
        // §12.5: a condition is bool; an integer is not converted
        if (hd.h.a) { pass = true; }
        // bit<8> and int<8> differ in signedness: a cast is needed
        if (hd.h.a == hd.h.s) { pass = false; }
        // the shift amount must be unsigned (§8.5)
        hd.h.a = hd.h.a << hd.h.s;
        mark(1, 2);
    }
}

ebpfFilter(prs(), pipe()) main;
