/* The `geo` and `pandas` footer metadata of a GeoParquet file of boxes (output-layout.md §7),
 * built with jansson. Returned strings are jansson's (free them with free()). */
#ifndef MSIZ_PARQUET_GEO_METADATA_H
#define MSIZ_PARQUET_GEO_METADATA_H

#include "msizarr/msizarr.h"

/* geo: primary_column, version "1.0.0", columns.geometry {encoding WKB, crs null,
 * geometry_types ["Polygon"], bbox (omitted when bbox is NULL)}, creator {geopandas, version}. */
MSIZ_NODISCARD msiz_status msiz_geo_metadata_json(const double *bbox, const char *creator_version,
                                                  char **out);

/* The index column: a string column named like the table's obs index, so that pandas reads it
 * back as an index named `instance_id` (output-layout.md §7). */
#define MSIZ_GEOPARQUET_INDEX_NAME "instance_id"

/* pandas: the geometry column (bytes) and the string index MSIZ_GEOPARQUET_INDEX_NAME. */
MSIZ_NODISCARD msiz_status msiz_pandas_metadata_json(char **out);

#endif
