/* Rule: a weak undefined reference that nothing defines stays 0, with
   no error. libw refers weakly to maybe, which no object defines. */
extern int maybe(void) __attribute__((weak));

int w_has_maybe(void) { return maybe != 0; }
