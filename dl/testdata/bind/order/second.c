/* Rule: the link map is built breadth first. libsecond, a direct
   dependency of the program, comes before libfirst's dependency libdeep,
   so its bfs is the one the program gets. */
const char *bfs(void) { return "s"; }
