/* The watched library's dependency: a plain function and an IFUNC, whose
   resolver picks one of two implementations at bind time. */
int live_dep(void) { return 1; }

static int impl_a(void) { return 10; }
static int impl_b(void) { return 20; }
static int (*resolve_live_ifunc(void))(void) { return impl_b; }
int live_ifunc(void) __attribute__((ifunc("resolve_live_ifunc")));
int unused_dep(void) { return 3; }
