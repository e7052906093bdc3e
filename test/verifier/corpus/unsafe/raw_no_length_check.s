# expect: invalid access to memory
# type: raw
ldxw %r0, [%r1+0]
exit
