/* Rule: the first definition of a unique symbol met wins. Built -fPIC,
   so that the program refers to shared_u through its GOT rather than
   copying it. Prints the shared_u libua, libub and the program see: the
   same value three times. */
#include <stdio.h>

extern int shared_u;
int get_a(void);
int get_b(void);

int main(void)
{
	printf("%d %d %d\n", get_a(), get_b(), shared_u);
	return 0;
}
