"""How fast PDF documents are read, and in how much memory, per producer.

    python bench/pdf_reading.py [--repeat 3]

The bundled briefing is typeset by every producer the tests use (tests/support/pdfs.py:
WeasyPrint with plain and raised footnote numbers, a browser-style endnote print, ReportLab in
one and two columns) plus the committed LibreOffice PDF. Each is read in a child process
(`read_document` then `extract_citations`, as `citewatch add` does); the bench prints pages,
the best of `--repeat` times, pages per second, the child's peak memory and the note–URL pairs
found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pdfs import render_all  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
import pypdfium2
from citations.document import read_document
from citations.extract import extract_citations
path = Path(sys.argv[1])
start = time.perf_counter()
loaded = read_document(path)
extraction = extract_citations(loaded.parts)
seconds = time.perf_counter() - start
pairs = {(c.footnote, c.url) for c in extraction.citations if c.footnote}
print(json.dumps({
    "pages": len(pypdfium2.PdfDocument(str(path))),
    "seconds": seconds,
    "pairs": len(pairs),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(path: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        runs.append(json.loads(out.splitlines()[-1]))
    return min(runs, key=lambda run: run["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        rendered = {name: path for name, (path, _) in render_all(Path(directory)).items()}
        rendered["libreoffice (committed)"] = ROOT / "tests/fixtures/documents/briefing.pdf"
        header = ("rendering", "pages", "seconds", "pages/s", "peak MB", "pairs")
        print("{:32} {:>5} {:>8} {:>8} {:>8} {:>6}".format(*header))
        for name, path in rendered.items():
            r = measure(path, args.repeat)
            print(
                f"{name:32} {r['pages']:>5} {r['seconds']:>8.2f} "
                f"{r['pages'] / r['seconds']:>8.1f} {r['peak_mb']:>8.0f} {r['pairs']:>6}"
            )


if __name__ == "__main__":
    main()
