/* Rule: a DT_SYMBOLIC object is searched first. The program, linked
   -rdynamic, exports its own foo, data and tv, which would interpose on
   libsym's: prints 7 when libsym keeps all of its own (-Bsymbolic), 61
   when only its functions are bound locally (-Bsymbolic-functions). */
#include <stdio.h>

int foo(void) { return 100; }

int data = 20;

__thread int tv = 40;

int use(void);

int main(void)
{
	printf("%d\n", use());
	return 0;
}
