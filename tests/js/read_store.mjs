// Reads one table, its TIC image and its pixel shapes of a msizarr store the way a web viewer
// would: zarrita for the Zarr arrays (through the consolidated metadata when present), hyparquet
// for shapes.parquet. Prints one JSON object of counts and sums for
// tests/python/test_js_readers.py to compare with the Python readers.
//
// usage: node read_store.mjs STORE TABLE_NAME
import { FileSystemStore } from "@zarrita/storage";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import * as zarr from "zarrita";

const [storePath, table] = process.argv.slice(2);
if (!storePath || !table) {
  console.error("usage: node read_store.mjs STORE TABLE_NAME");
  process.exit(2);
}

const store = await zarr.withMaybeConsolidatedMetadata(new FileSystemStore(storePath));
const root = zarr.root(store);

async function read(path) {
  const arr = await zarr.open(root.resolve(path), { kind: "array" });
  const chunk = await zarr.get(arr);
  return { arr, data: chunk.data, shape: chunk.shape };
}

function sum(values) {
  let s = 0;
  for (const v of values) s += Number(v);
  return s;
}

const group = await zarr.open(root.resolve(`tables/${table}`), { kind: "group" });
const xGroup = await zarr.open(root.resolve(`tables/${table}/X`), { kind: "group" });
const data = await read(`tables/${table}/X/data`);
const indices = await read(`tables/${table}/X/indices`);
const indptr = await read(`tables/${table}/X/indptr`);
const obsIndex = await read(`tables/${table}/obs/instance_id`);
const obsX = await read(`tables/${table}/obs/x`);
const mz = await read(`tables/${table}/var/mz`);
const region = group.attrs.region;
const tic = await read(`images/${table}_tic/s0`);

const shapesFile = `${storePath}/shapes/${region}/shapes.parquet`;
const file = await asyncBufferFromFile(shapesFile);
const meta = await parquetMetadataAsync(file);
const rows = await parquetReadObjects({ file, metadata: meta });
const idColumn = meta.schema.map((s) => s.name).find((n) => n !== "geometry" && n !== "schema");
let ringPoints = 0;
let coordSum = 0;
for (const row of rows) {
  const ring = row.geometry.coordinates[0];
  ringPoints += ring.length;
  for (const [x, y] of ring) coordSum += x + y;
}

console.log(
  JSON.stringify({
    encoding: xGroup.attrs["encoding-type"],
    shape: xGroup.attrs.shape,
    nnz: data.shape[0],
    data_sum: sum(data.data),
    indices_dtype: indices.arr.dtype,
    indptr_dtype: indptr.arr.dtype,
    indices_sum: sum(indices.data),
    indptr_last: Number(indptr.data[indptr.data.length - 1]),
    obs_ids: Array.from(obsIndex.data),
    obs_x_sum: sum(obsX.data),
    mz_count: mz.shape[0],
    mz_sum: sum(mz.data),
    tic_shape: tic.shape,
    tic_sum: sum(tic.data),
    shapes_codecs: meta.row_groups[0].columns.map((c) => c.meta_data.codec),
    shapes_rows: rows.length,
    shapes_ids: rows.map((r) => String(r[idColumn])),
    shapes_geometry_type: rows.length ? rows[0].geometry.type : null,
    shapes_ring_points: ringPoints,
    shapes_coord_sum: coordSum,
  }),
);
