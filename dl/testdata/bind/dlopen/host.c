/* dlopen's scope: the host defines shared_fn, which the plugin and its
   dependency also refer to, and dlopens argv[1] with the mode argv[2]
   names (local, global or deepbind), binding everything at once. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int shared_fn(void) { return 1; }

int main(int argc, char **argv) {
	int mode = RTLD_NOW | RTLD_LOCAL;
	if (argc > 2 && strcmp(argv[2], "global") == 0)
		mode = RTLD_NOW | RTLD_GLOBAL;
	if (argc > 2 && strcmp(argv[2], "deepbind") == 0)
		mode = RTLD_NOW | RTLD_DEEPBIND;
	if (dlopen(argv[1], mode) == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	return 0;
}
