/* Rule: an IFUNC definition (STT_GNU_IFUNC) binds like any other; the
   loader then calls its resolver and uses the address it returns. */
static int foo_impl(void) { return 8; }

static int (*resolve_foo(void))(void) { return foo_impl; }

int foo(void) __attribute__((ifunc("resolve_foo")));
