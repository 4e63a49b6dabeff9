"""The hand-written script a person would write instead of a local batch job (the `peer` bench's baseline).

    python bench/peer_script.py DATABASE_FILE SCHEMA.TABLE MODEL.pkl OUT.parquet BATCH_ROWS

One process: open the DuckDB file read-only, stream the table as Arrow record batches of BATCH_ROWS,
`predict_proba` on each batch's feature columns (a pandas frame, as scikit-learn wants it with feature
names), append one column per class to the batch and write it with pyarrow's ParquetWriter — the same
columns a job writes (the input columns, then `output_feature_<i>`), snappy-compressed as the job's parts
are. Nothing is done that the job does not also do, and nothing the job does is left out but its
bookkeeping (snapshot, progress, `_SUCCESS`).

It prints one line of JSON when the output file is closed — before the interpreter tears down, so the
bench times the work, not Python's exit — with the rows written and this process's peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(database: str, table: str, model_file: str, out: str, batch_rows: int) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(model_file, "rb") as fh:
        model = pickle.load(fh)
    features = list(model.feature_names_in_)
    con = duckdb.connect(database, read_only=True)
    schema, name = table.split(".")
    reader = con.sql(f'SELECT * FROM "{schema}"."{name}"').to_arrow_reader(batch_rows)
    rows = 0
    writer: pq.ParquetWriter | None = None
    for batch in reader:
        proba = model.predict_proba(batch.select(features).to_pandas())
        scored = pa.Table.from_batches([batch])
        for i in range(proba.shape[1]):
            scored = scored.append_column(f"output_feature_{i}", pa.array(proba[:, i]))
        if writer is None:
            writer = pq.ParquetWriter(out, scored.schema)
        writer.write_table(scored)
        rows += scored.num_rows
    if writer is not None:
        writer.close()
    con.close()
    print(json.dumps({"rows": rows, "peak_rss_mib": round(peak_rss_mib(), 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
