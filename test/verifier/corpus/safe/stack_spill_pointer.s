# A pointer spilled to the stack and filled back keeps its type.
stxdw [%r10-8], %r1
mov %r1, 0
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+12]
exit
