/* Rule: the link map is built breadth first. libfirst needs libdeep
   (which defines bfs) but defines no bfs itself; its call to deep_fn
   binds to libdeep. */
int deep_fn(void);

int first_fn(void) { return deep_fn(); }
