/* Rule: the link map is built breadth first. Linked -lfirst -lsecond;
   the link map is bfsprog, libfirst, libsecond, libc, libdeep, so bfs
   binds to libsecond and prints "s" (libdeep's would print "d"). */
#include <stdio.h>

const char *bfs(void);
int first_fn(void);

int main(void)
{
	first_fn();
	puts(bfs());
	return 0;
}
