/* Rule: LD_PRELOAD comes first. Preloaded, libpre comes right after the
   program in the global scope, before liba, so its my_alloc wins, for the
   program and for liba's own calls. */
int my_alloc(void) { return 1; }
