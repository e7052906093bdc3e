#include <linux/bpf.h>
#include <bpf/no_such_header.h>
