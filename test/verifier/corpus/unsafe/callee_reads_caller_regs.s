# expect: R6 !read_ok
# r6-r9 are the caller's: a callee starts without them.
mov %r6, 1
call local f
exit
f:
mov %r0, %r6
exit
