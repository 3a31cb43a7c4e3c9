/* Rule: LD_PRELOAD comes first. Prints which my_alloc the program got:
   0 for liba's, 1 for libpre's (preloaded); liba's own call must have
   got the same one. */
#include <stdio.h>

int my_alloc(void);
int a_alloc(void);

int main(void)
{
	int got = my_alloc();
	if (a_alloc() != got)
		return 1;
	printf("%d\n", got);
	return 0;
}
