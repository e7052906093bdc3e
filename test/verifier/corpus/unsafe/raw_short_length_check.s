# expect: invalid access to memory, off=0 size=8
# type: raw
mov %r0, 0
jlt %r2, 4, out
ldxdw %r0, [%r1+0]
out:
exit
