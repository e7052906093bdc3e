// Parser value sets (§12.11) for p4c's ebpf_model: the control plane says which EtherTypes
// carry the service header (value_set<bit<16>>) and which (protocol, port) pairs are served
// (a value_set of a struct, matched against a two-key select). Packets outside both sets
// are rejected by the parser, so dropped; the rest pass.
#include <core.p4>
#include <ebpf_model.p4>

header Ethernet_h {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header Service_h {
    bit<8>  proto;
    bit<8>  flags;
    bit<16> port;
}

struct service_t {
    bit<8>  proto;
    bit<16> port;
}

struct Headers_t {
    Ethernet_h ethernet;
    Service_h  service;
}

parser prs(packet_in p, out Headers_t headers) {
    value_set<bit<16>>(4) ethertypes;
    value_set<service_t>(8) services;

    state start {
        p.extract(headers.ethernet);
        transition select(headers.ethernet.etherType) {
            ethertypes: parse_service;
            default: reject;
        }
    }
    state parse_service {
        p.extract(headers.service);
        transition select(headers.service.proto, headers.service.port) {
            (0, 0): accept;
            services: accept;
            default: reject;
        }
    }
}

control pipe(inout Headers_t headers, out bool pass) {
    apply {
        pass = true;
    }
}

ebpfFilter(prs(), pipe()) main;
