/* Rule: symbol versions. The consumer of libver: its reference to foo
   carries the version it was linked against (VERS_1, VERS_2, or none),
   and it prints the number of the foo it got. */
#include <stdio.h>

int foo(void);

int main(void)
{
	printf("%d\n", foo());
	return 0;
}
