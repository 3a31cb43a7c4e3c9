/* Rule: the first definition in link-map order wins. liba and libb both
   define pick; the program needs liba first, so pick comes from liba. */
const char *pick(void) { return "a"; }
