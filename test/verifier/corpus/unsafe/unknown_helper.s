# expect: invalid func unknown#999
call 999
exit
