/* Rule: symbol versions. The second release of libver keeps the old foo
   as the hidden foo@VERS_1 (version index 2) and adds the default
   foo@@VERS_2 (index 3). References made against the first release ask
   for VERS_1 and keep getting 1; new references get 2; an unversioned
   reference gets the oldest, foo@VERS_1. */
int foo_v1(void) { return 1; }
int foo_v2(void) { return 2; }

__asm__(".symver foo_v1, foo@VERS_1");
__asm__(".symver foo_v2, foo@@VERS_2");
