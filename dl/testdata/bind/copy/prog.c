/* Rule: a copy relocation's lookup skips the executable. Built -no-pie
   -fno-pic, the program refers to shared_data directly, so the linker
   gives it a copy (R_X86_64_COPY); the copy starts with libdata's value
   (42), and libdata sees the program's writes to it (7) at the same
   address (1). */
#include <stdio.h>

extern int shared_data;
int data_get(void);
int *data_addr(void);

int main(void)
{
	int initial = shared_data;
	shared_data = 7;
	printf("%d %d %d\n", initial, data_get(), data_addr() == &shared_data);
	return 0;
}
