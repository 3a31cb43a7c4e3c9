/* Rule: the program's foo (exported by -rdynamic) interposes on liba's:
   liba's call_foo calls the program's foo and prints 2, not 1. */
#include <stdio.h>

int foo(void) { return 2; }

int call_foo(void);

int main(void)
{
	printf("%d\n", call_foo());
	return 0;
}
