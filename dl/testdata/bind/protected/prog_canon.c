/* Rule: the canonical PLT entry of a program wins over a protected
   function. Built -no-pie -fno-pic, the program takes pfunc's address
   directly, so the linker makes its PLT entry pfunc's address for the
   whole process (an undefined symbol with a nonzero value). libprot's GOT
   slot for its protected pfunc gets that entry too, for pointer equality
   (and the loader warns). Prints counter as libprot sees it (40) and
   whether both see the same pfunc (1). counter is not used directly: that
   would copy protected data into the program. */
#include <stdio.h>

int pfunc(void);
int prot_counter(void);
int (*prot_pfunc_addr(void))(void);

int main(void)
{
	int (*f)(void) = pfunc;
	printf("%d %d\n", prot_counter(), f == prot_pfunc_addr());
	return 0;
}
