/* Rule: the first definition in link-map order wins. libb defines pick
   too, but comes after liba in the program's DT_NEEDED order. */
const char *pick(void) { return "b"; }
