/* The plugin's dependency calls shared_fn, defined by the host and by the
   plugin: which one depends on the dlopen mode. */
int shared_fn(void);
int helper(void) { return shared_fn(); }
