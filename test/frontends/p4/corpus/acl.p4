// A stateless ACL for p4c's ebpf_model: a ternary table over the IPv4 addresses, the
// protocol and the destination port (from a TCP or UDP header) allows or denies; the
// switch on action_run counts denials per rule, and packets no rule matches are denied.
#include <core.p4>
#include <ebpf_model.p4>

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
            default: accept;
        }
    }
    state l4 {
        p.extract(headers.ports);
        transition accept;
    }
}

control pipe(inout Headers_t headers, out bool pass) {
    CounterArray(32w8, true) denials;
    bit<16> dport = 0;

    action allow() {
        pass = true;
    }
    action deny(bit<32> rule) {
        pass = false;
        denials.increment(rule);
    }
    table acl {
        key = {
            headers.ipv4.srcAddr  : ternary;
            headers.ipv4.dstAddr  : ternary;
            headers.ipv4.protocol : ternary;
            dport                 : ternary;
        }
        actions = { allow; deny; }
        default_action = deny(0);
        size = 32;
    }
    apply {
        pass = false;
        if (headers.ports.isValid()) {
            dport = headers.ports.dstPort;
        }
        switch (acl.apply().action_run) {
            allow: { pass = headers.ipv4.ttl != 0; }
            deny: { }
        }
    }
}

ebpfFilter(prs(), pipe()) main;
