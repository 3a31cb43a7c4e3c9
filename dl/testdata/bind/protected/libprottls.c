/* Rule: a protected TLS variable is not interposed on. ptls is protected;
   GNU ld still leaves its general-dynamic access as R_X86_64_DTPMOD64
   and R_X86_64_DTPOFF64 relocations against ptls, which the loader looks
   up (PLT-class lookups) and, since ptls is protected, resolves to
   libprottls's own ptls even when another object defines one first.
   libprottls's ptls starts at 0. */
__attribute__((visibility("protected"))) __thread int ptls;

int prottls_get(void) { return ptls; }
