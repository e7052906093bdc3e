# expect: unbounded min/max value
# Adds a packet byte shifted left by 56 to the packet pointer: no bound on the offset.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 1
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
lsh %r5, 56
add %r2, %r5
mov %r0, 2
out:
exit
