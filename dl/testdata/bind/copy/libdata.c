/* Rule: a copy relocation's lookup skips the executable. libdata defines
   shared_data; the non-PIE program copies it into its own .bss, and
   libdata's own (GOT) references then bind to the program's copy. */
int shared_data = 42;

int data_get(void) { return shared_data; }

int *data_addr(void) { return &shared_data; }
