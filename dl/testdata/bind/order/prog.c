/* Rule: the first definition in link-map order wins. Linked -la -lb:
   pick binds to liba's and prints "a". */
#include <stdio.h>

const char *pick(void);

int main(void)
{
	puts(pick());
	return 0;
}
