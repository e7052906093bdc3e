# hash-lookup.s without the call (mov %r0, 0 in its place): the cycles around the helper.
.map t hash key=4 value=8 entries=16
stw [%r10-4], 0x0302010a
mov %r2, %r10
add %r2, -4
lddw %r1, map(t)
mov %r0, 0
exit
