/* Rule: an IFUNC definition binds like any other. foo binds to libifunc's
   STT_GNU_IFUNC symbol; the call reaches the implementation its resolver
   chose, which returns 8. */
#include <stdio.h>

int foo(void);

int main(void)
{
	printf("%d\n", foo());
	return 0;
}
