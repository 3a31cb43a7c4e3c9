/* Rule: symbol versions. A libver whose only foo is foo@@VERS_2 (version
   index 3; VERS_1 is defined but empty). An unversioned reference does
   not accept index 3 outright, but takes it as the one versioned
   definition there is. Returns 2, for version 2. */
int foo(void) { return 2; }
