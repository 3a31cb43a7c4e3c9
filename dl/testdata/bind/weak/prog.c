/* Rule: a weak undefined reference that nothing defines stays 0, with
   no error. Neither the program's nor libw's reference to maybe finds a
   definition: prints 0. */
#include <stdio.h>

extern int maybe(void) __attribute__((weak));
int w_has_maybe(void);

int main(void)
{
	printf("%d\n", (maybe != 0) + w_has_maybe());
	return 0;
}
