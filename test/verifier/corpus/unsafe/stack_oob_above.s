# expect: invalid write to stack
stw [%r10-2], 0
mov %r0, 0
exit
