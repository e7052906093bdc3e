# expect: R0 !read_ok
mov %r1, 0
exit
