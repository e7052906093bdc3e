# expect: cannot write into ctx
stw [%r1+12], 0
mov %r0, 0
exit
