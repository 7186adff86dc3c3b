#include "parquet/geo_metadata.h"

#include <jansson.h>

#include "common/error.h"

static msiz_status dump(json_t *root, const char *what, char **out)
{
    *out = root ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!*out)
        return msiz_fail(MSIZ_E_NOMEM, "parquet: cannot build the %s metadata", what);
    return MSIZ_OK;
}

static json_t *geometry_column(const double *bbox)
{
    json_t *col =
        json_pack("{s:s, s:n, s:[s]}", "encoding", "WKB", "crs", "geometry_types", "Polygon");
    if (col && bbox) {
        json_t *box = json_pack("[f, f, f, f]", bbox[0], bbox[1], bbox[2], bbox[3]);
        if (!box || json_object_set_new(col, "bbox", box) != 0) {
            json_decref(col);
            col = NULL;
        }
    }
    return col;
}

msiz_status msiz_geo_metadata_json(const double *bbox, const char *creator_version, char **out)
{
    json_t *col = geometry_column(bbox);
    json_t *root = NULL;
    if (col)
        root = json_pack("{s:s, s:s, s:{s:o}, s:{s:s, s:s}}", "primary_column", "geometry",
                         "version", "1.0.0", "columns", "geometry", col, "creator", "library",
                         "geopandas", "version", creator_version);
    return dump(root, "geo", out);
}

msiz_status msiz_pandas_metadata_json(char **out)
{
    const char *index = MSIZ_GEOPARQUET_INDEX_NAME;
    json_t *root = json_pack(
        "{s:[s], s:[], s:[{s:s, s:s, s:s, s:s, s:n}, {s:s, s:s, s:s, s:s, s:n}]}", "index_columns",
        index, "column_indexes", "columns", "name", "geometry", "field_name", "geometry",
        "pandas_type", "bytes", "numpy_type", "object", "metadata", "name", index, "field_name",
        index, "pandas_type", "unicode", "numpy_type", "object", "metadata");
    return dump(root, "pandas", out);
}
