/* Rule: a strong reference that nothing defines is undefined. The
   program needs libmiss, whose undefined_fn no object defines (linked
   with --allow-shlib-undefined). It is only traced, never run. */
int miss(void);

int main(void) { return miss(); }
