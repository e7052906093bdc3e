# The same loop with 32-bit arithmetic and JMP32, as clang -mcpu=v3 writes it.
mov32 %r0, 0
mov32 %r1, 0
again:
add32 %r0, %r1
add32 %r1, 1
jlt32 %r1, 16, again
exit
