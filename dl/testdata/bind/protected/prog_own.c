/* Rule: protected data is not interposed on. The program (-rdynamic)
   defines and exports its own counter, first in the global scope; yet
   libprot's GOT slot for its protected counter keeps libprot's
   definition. Prints the program's counter (1) and whether libprot's
   slot points at it (0). */
#include <stdio.h>

int counter = 1;
int *prot_counter_addr(void);

int main(void)
{
	printf("%d %d\n", counter, &counter == prot_counter_addr());
	return 0;
}
