/* Rule: a protected TLS variable is not interposed on. The program
   (-rdynamic) defines and exports its own ptls, first in the global
   scope; libprottls still reads its own. Prints the program's ptls (3)
   and libprottls's (0). */
#include <stdio.h>

__thread int ptls = 3;
int prottls_get(void);

int main(void)
{
	printf("%d %d\n", ptls, prottls_get());
	return 0;
}
