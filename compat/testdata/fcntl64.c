/* Calls fcntl64, which glibc added in 2.28: the program needs
   fcntl64@GLIBC_2.28 (and, linked with glibc 2.34 or later,
   __libc_start_main@GLIBC_2.34). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

int main(void) {
	int flags = fcntl64(0, F_GETFD);
	printf("%d\n", flags);
	return 0;
}
