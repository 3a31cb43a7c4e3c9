/* Rule: a protected definition is not interposed on, except by the
   canonical PLT entry of a program that takes a function's address.
   counter and pfunc are protected. For libprot's own references to be
   looked up at all, they must go through GOT slots with relocations
   against the symbols: GCC 12 addresses protected symbols directly and
   GNU ld would resolve such slots at link time, so the slots are loaded
   in assembly (R_X86_64_GOTPCREL, with -Wa,-mrelax-relocations=no) and
   the library is linked with gold, which keeps GLOB_DAT relocations
   against protected symbols. The loader's lookups for them are its
   "protected symbol" lookups. */
__attribute__((visibility("protected"))) int counter = 40;

__attribute__((visibility("protected"))) int pfunc(void) { return 1; }

/* The address of counter in libprot's GOT. */
int *prot_counter_addr(void)
{
	int *p;
	__asm__("movq counter@GOTPCREL(%%rip), %0" : "=r"(p));
	return p;
}

/* The address of pfunc in libprot's GOT. */
int (*prot_pfunc_addr(void))(void)
{
	int (*p)(void);
	__asm__("movq pfunc@GOTPCREL(%%rip), %0" : "=r"(p));
	return p;
}

/* counter, as libprot sees it through its GOT. */
int prot_counter(void) { return *prot_counter_addr(); }
