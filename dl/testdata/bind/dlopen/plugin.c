/* The plugin defines shared_fn too, and calls it and its dependency's
   helper through its PLT. */
int shared_fn(void) { return 2; }
int helper(void);
int plugin_entry(void) { return shared_fn() + helper(); }
