/* Rule: a program's references to protected symbols are ordinary
   lookups. Built -fPIC, the program refers to counter and pfunc through
   its GOT (no copy relocation, no canonical PLT entry): it sees
   libprot's counter (40), at the address libprot's GOT holds (1), and
   the same pfunc (1). */
#include <stdio.h>

extern int counter;
int pfunc(void);
int *prot_counter_addr(void);
int (*prot_pfunc_addr(void))(void);

int main(void)
{
	printf("%d %d %d\n", counter, &counter == prot_counter_addr(), pfunc == prot_pfunc_addr());
	return 0;
}
