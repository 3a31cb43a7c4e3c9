/* Pins memcpy to its oldest x86-64 version, GLIBC_2.2.5, instead of the
   default memcpy@@GLIBC_2.14, the usual trick to build for an older
   glibc. Compiled with -DUNPINNED it takes the default version. The
   volatile length and -fno-builtin keep the call a call. */
#include <stdio.h>
#include <string.h>

#ifndef UNPINNED
__asm__(".symver memcpy,memcpy@GLIBC_2.2.5");
#endif

int main(int argc, char **argv) {
	char dst[64];
	volatile size_t n = sizeof "pinned";
	memcpy(dst, "pinned", n);
	puts(dst);
	return argc > 1 && argv[1][0] == 'x';
}
