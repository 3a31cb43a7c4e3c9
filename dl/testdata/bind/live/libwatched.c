/* The library whose GOT is watched: live_entry calls its dependency's
   functions through the PLT; never_called's slot stays lazy. */
int live_dep(void);
int live_ifunc(void);
int unused_dep(void);

int live_entry(void) { return live_dep() + live_ifunc(); }
int never_called(void) { return unused_dep(); }
