/* Rule: the first definition of an STB_GNU_UNIQUE symbol that the process
   meets is the one every lookup gets. Built twice, as libua
   (-DUNIQUE_VALUE=1 -DGETTER=get_a) and libub (-DUNIQUE_VALUE=2
   -DGETTER=get_b). C has no way to ask for a unique symbol (C++ makes
   them for static data of inline functions and templates), so shared_u
   is defined in assembly, with the type @gnu_unique_object. GETTER
   reads it through the GOT: a GLOB_DAT relocation against shared_u,
   which GNU ld keeps even under -Bsymbolic. */
#define STR_(x) #x
#define STR(x) STR_(x)

__asm__(".section .data.shared_u, \"aw\", @progbits\n"
	"\t.globl shared_u\n"
	"\t.type shared_u, @gnu_unique_object\n"
	"\t.size shared_u, 4\n"
	"\t.balign 4\n"
	"shared_u:\n"
	"\t.long " STR(UNIQUE_VALUE) "\n"
	"\t.previous");

extern int shared_u;

int GETTER(void) { return shared_u; }
