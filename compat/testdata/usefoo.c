/* Linked against libfoo.so.1 release 2: needs foo_old@FOO_1.0 and
   foo_new@FOO_2.0. With -DWEAK_FOO_NEW the reference to foo_new is weak;
   the loader still requires FOO_2.0 of libfoo.so.1 (the DT_VERNEED entry
   is not marked weak). */
#include <stdio.h>

int foo_old(void);
#ifdef WEAK_FOO_NEW
int foo_new(void) __attribute__((weak));
#else
int foo_new(void);
#endif

int main(void) {
	printf("%d\n", foo_old() + (foo_new ? foo_new() : 0));
	return 0;
}
