# csum_diff over 4 initialised stack bytes, and a NULL "from" of size 0.
stw [%r10-4], 0x01020304
mov %r1, 0
mov %r2, 0
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
exit
