/* Rule: a strong reference that nothing defines is undefined: with
   LD_BIND_NOW the loader reports "undefined symbol: undefined_fn". */
int undefined_fn(void);

int miss(void) { return undefined_fn(); }
