# After xdp_adjust_head the pointers are loaded and checked again.
mov %r6, %r1
mov %r2, -4
call 44
mov %r0, 1
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
stw [%r2+0], 0
mov %r0, 2
out:
exit
