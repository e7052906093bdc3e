# lpm-lookup.s without the call (mov %r0, 0 in its place): the cycles around the helper.
.map t lpm_trie key=8 value=8 entries=16
stw [%r10-8], 32
stw [%r10-4], 0x0302010a
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
mov %r0, 0
exit
