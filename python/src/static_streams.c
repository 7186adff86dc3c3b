/* Debian's static libblosc.a and libjansson.a are compiled as position-dependent (PIE) code:
 * they reach the C library's `stderr` / `stdin` through PC-relative relocations, which a shared
 * object (this extension module) cannot resolve against libc.so ("recompile with -fPIC").
 * Hidden definitions inside the module give those references a local target; a constructor
 * copies the C library's stream pointers into them before anything runs. Every reference in the
 * module, ours included, then uses the same FILE objects as the rest of the process. The
 * executable CLI needs none of this: the linker resolves such references there by itself. */
#include <dlfcn.h>
#include <stdio.h>

__attribute__((visibility("hidden"))) FILE *stderr;
__attribute__((visibility("hidden"))) FILE *stdin;

__attribute__((constructor)) static void msiz_py_bind_streams(void)
{
    FILE **err = dlsym(RTLD_DEFAULT, "stderr");
    FILE **in = dlsym(RTLD_DEFAULT, "stdin");
    stderr = err ? *err : NULL;
    stdin = in ? *in : NULL;
}
