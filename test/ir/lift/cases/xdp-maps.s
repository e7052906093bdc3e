# type: xdp
# Counts packets per ingress interface in a hash map; drops frames shorter than 14 bytes.
.map counts hash key=4 value=8 entries=64
mov %r6, %r1
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 14
mov %r0, 1
jgt %r4, %r3, out
ldxw %r1, [%r6+12]
stxw [%r10-4], %r1
mov %r2, %r10
add %r2, -4
lddw %r1, map(counts)
call 1
jeq %r0, 0, miss
mov %r1, 1
lock add [%r0+0], %r1
mov %r0, 2
exit
miss:
mov %r0, 2
out:
exit
