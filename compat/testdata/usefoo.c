/* Linked against libfoo.so.1 release 2: needs foo_old@FOO_1.0 and
   foo_new@FOO_2.0. */
#include <stdio.h>

int foo_old(void);
int foo_new(void);

int main(void) {
	printf("%d\n", foo_old() + foo_new());
	return 0;
}
