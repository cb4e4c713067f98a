"""Reads samples.h5 the way an outside user would (h5py + numpy) and prints a JSON summary."""
import json
import sys

import h5py
import numpy as np

path = sys.argv[1]
with h5py.File(path, "r") as f:
    g = f["samples"]
    out = {
        "attrs": {
            "dataset_fingerprint": str(g.attrs["dataset_fingerprint"]),
            "journal_seq": int(g.attrs["journal_seq"]),
            "format_version": int(g.attrs["format_version"]),
        },
        "sample_id": [s.decode() if isinstance(s, bytes) else str(s) for s in g["sample_id"][()]],
        "origin": [s.decode() if isinstance(s, bytes) else str(s) for s in g["origin"][()]],
        "loss": [None if np.isnan(x) else round(float(x), 4) for x in g["loss"][()]],
        "label": [int(x) for x in g["label"][()]],
        "discarded": [bool(x) for x in g["discarded"][()]],
        "discarded_dtype": str(g["discarded"].attrs["dtype"]),
        "tag:focus": [bool(x) for x in g["tag:focus"][()]],
        "score": [float(x) for x in g["score"][()]],
    }
print(json.dumps(out))
