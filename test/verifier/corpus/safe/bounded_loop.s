# Sums 0..9: the loop is explored iteration by iteration.
mov %r0, 0
mov %r1, 0
again:
add %r0, %r1
add %r1, 1
jlt %r1, 10, again
and %r0, 3
exit
