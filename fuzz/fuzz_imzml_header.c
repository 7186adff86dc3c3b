/* Fuzz target: the streaming imzML header parser on an in-memory header, then the header-level
 * rules, the .ibd checks against a pretend 1 MiB .ibd, and the metadata JSON. */
#include <stdint.h>
#include <string.h>

#include "common/alloc.h"
#include "imzml/imzml_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    imzml_header *h;
    if (msiz_imzml_parse_buffer(data, size, "fuzz.imzML", &h) < 0)
        return 0;
    msiz_source_info info;
    msiz_source_opts opts;
    uint8_t uuid[16] = {0};
    memset(&info, 0, sizeof info);
    msiz_source_opts_init(&opts);
    opts.ignore_uuid_mismatch = 1;
    if (msiz_imzml_resolve(h, &info) >= 0 &&
        msiz_imzml_check_ibd(h, "fuzz.ibd", uuid, 1 << 20, &opts) >= 0) {
        char *json = msiz_imzml_metadata_json(h, "fuzz.ibd");
        msiz_free(json);
    }
    msiz_imzml_header_free(h);
    return 0;
}
