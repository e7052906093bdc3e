// p4c's eBPF filter architecture (p4c backends/ebpf, ebpf_model.p4), written for bpfoff
// with the same names, so that programs for p4c's ebpf target compile unmodified.
// Meaning (frontends/p4/arch.ts): the parser runs over the packet; a parser reject drops
// the packet; otherwise the filter runs and its `accept` decides XDP_PASS or XDP_DROP.
#ifndef _EBPF_MODEL_P4_
#define _EBPF_MODEL_P4_

#include <core.p4>

// A dense (array map) or sparse (hash map) array of 32-bit counters.
extern CounterArray {
    CounterArray(bit<32> max_index, bool sparse);
    void increment(in bit<32> index);
    void add(in bit<32> index, in bit<32> value);
}

// Table implementations: accepted and recorded; bpfoff chooses the map kind from the match kinds.
extern array_table {
    array_table(bit<32> size);
}

extern hash_table {
    hash_table(bit<32> size);
}

parser parse<H>(packet_in packet, out H headers);
control filter<H>(inout H headers, out bool accept);

package ebpfFilter<H>(parse<H> prs, filter<H> filt);

#endif
