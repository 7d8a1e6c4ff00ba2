"""Writing challenge data files so that the bytes are the same on any machine."""

import gzip
import hashlib
import io


def fmt(v):
    """A feature value with 4 decimals; never "-0.0000"."""
    s = "%.4f" % v
    return "0.0000" if s == "-0.0000" else s


def csv_gz_bytes(inner_name, ids, labels, feats):
    """gzip'd CSV `id,label,f0..` with mtime=0 and a fixed inner name."""
    n_feat = feats.shape[1]
    lines = ["id,label," + ",".join("f%d" % k for k in range(n_feat))]
    for i, lab, row in zip(ids, labels, feats):
        lines.append(i + "," + lab + "," + ",".join(fmt(v) for v in row))
    data = ("\n".join(lines) + "\n").encode("ascii")
    buf = io.BytesIO()
    with gzip.GzipFile(filename=inner_name, mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def write_bytes(path, payload, rows=None):
    """Writes `payload` and prints its size and SHA-256."""
    with open(path, "wb") as f:
        f.write(payload)
    digest = hashlib.sha256(payload).hexdigest()
    extra = "  rows=%d" % rows if rows is not None else ""
    print("wrote %s%s  bytes=%d  sha256=%s" % (path, extra, len(payload), digest))
