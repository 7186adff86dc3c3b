/* Placeholder until the Bruker reader lands (issue 6): refuses with a clear message. */
#include "common/error.h"
#include "source/source_internal.h"

msiz_status msiz_bruker_open(msiz_source *src, const char *path, const msiz_source_opts *opts)
{
    (void)src;
    (void)opts;
    return msiz_fail(MSIZ_E_UNSUPPORTED, "%s: the Bruker reader is not built yet", path);
}
