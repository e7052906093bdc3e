# expect: frame pointer is read only
# patch: 0 dst=10
# The assembler refuses to write r10, so the test rewrites mov %r9 into mov %r10.
mov %r9, 0
mov %r0, 0
exit
