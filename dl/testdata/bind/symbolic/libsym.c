/* Rule: a DT_SYMBOLIC object is searched first for its own references.
   Built twice: -Bsymbolic (DT_SYMBOLIC) and -Bsymbolic-functions (no
   DT_SYMBOLIC). GNU ld binds the call to foo at link time under both,
   and the reference to data under -Bsymbolic; the general-dynamic TLS
   reference to tv stays for the loader, which, for a DT_SYMBOLIC object,
   finds the object's own tv before the program's.
   use() is 1 + 2 + 4 = 7 with its own definitions, 1 + 20 + 40 = 61 with
   the program's data and tv. */
int foo(void) { return 1; }

int data = 2;

__thread int tv = 4;

int use(void) { return foo() + data + tv; }
