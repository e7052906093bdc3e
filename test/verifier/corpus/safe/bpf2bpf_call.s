# A subprogram gets a pointer to the caller's stack; r6 survives the call.
mov %r6, 7
stdw [%r10-8], 5
mov %r1, %r10
add %r1, -8
call local get
add %r0, %r6
and %r0, 3
exit
get:
ldxdw %r0, [%r1+0]
exit
