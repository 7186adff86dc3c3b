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
    if (imzml_parse_buffer(data, size, "fuzz.imzML", &h) < 0)
        return 0;
    msiz_source_info info;
    msiz_source_opts opts;
    uint8_t uuid[16] = {0};
    memset(&info, 0, sizeof info);
    msiz_source_opts_init(&opts);
    opts.ignore_uuid_mismatch = 1;
    if (imzml_resolve(h, &info) >= 0 && imzml_check_ibd(h, "fuzz.ibd", uuid, 1 << 20, &opts) >= 0) {
        char *json = imzml_metadata_json(h, "fuzz.ibd");
        msiz_free(json);
    }
    imzml_header_free(h);
    return 0;
}
