# expect: only allowed in XDP programs
# type: raw
mov %r2, 0
call 44
exit
