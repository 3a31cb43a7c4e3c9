/* libfoo.so.1. With -DFOO_V2 and libfoo2.map it defines foo_old in
   FOO_1.0 and foo_new in FOO_2.0; with libfoo1.map and no FOO_V2, the
   older release, only foo_old in FOO_1.0. */
int foo_old(void) { return 1; }

#ifdef FOO_V2
int foo_new(void) { return 2; }
#endif
