# expect: invalid bpf_context access off=24
ldxw %r0, [%r1+24]
exit
