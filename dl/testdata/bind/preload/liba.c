/* Rule: LD_PRELOAD comes first. liba defines my_alloc and calls it
   through its PLT; a preloaded library's my_alloc wins over both. */
int my_alloc(void) { return 0; }

int a_alloc(void) { return my_alloc(); }
