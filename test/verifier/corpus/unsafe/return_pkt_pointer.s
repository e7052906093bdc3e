# expect: R0 leaks addr as return value
ldxw %r0, [%r1+0]
exit
