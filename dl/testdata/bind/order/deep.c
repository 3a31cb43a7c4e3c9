/* Rule: the link map is built breadth first. libdeep is libfirst's
   dependency, so it is loaded after all of the program's own
   dependencies (libfirst, libsecond, libc); its bfs loses to
   libsecond's. It also defines deep_fn, which only libfirst uses. */
const char *bfs(void) { return "d"; }

int deep_fn(void) { return 0; }
