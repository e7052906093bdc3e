# expect: BPF program is too large
# Counts down from a random 32-bit number: bounded in fact, but each iteration is a new state.
call 7
mov %r1, %r0
again:
sub %r1, 1
jne %r1, 0, again
mov %r0, 0
exit
