/* Rule: symbol versions. The first release of libver: foo, which v1.map
   puts in VERS_1 (foo@@VERS_1), and, built without a version script,
   the unversioned release (plain foo). Returns 1, for version 1. */
int foo(void) { return 1; }
