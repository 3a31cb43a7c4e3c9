/* Rule: a definition in the program interposes on the library's own.
   liba defines foo and calls it through its PLT (default visibility,
   so the call is preemptible); the program, linked -rdynamic, exports
   its own foo, which comes first in the global scope and wins. */
int foo(void) { return 1; }

int call_foo(void) { return foo(); }
