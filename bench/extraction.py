"""How fast documents are read and their citations extracted, by size: it must stay linear.

    python bench/extraction.py [--sizes 10000,40000,160000] [--formats txt,html,docx]
                               [--timeout 600]

For each format and size a briefing of that many paragraphs is generated: every fifth cites a
note whose text holds a URL, and every paragraph is the lower-case continuation of a sentence
the previous one left open (what page breaks, table cells and hard-wrapped lines leave in a
converted report), the case that used to make extraction quadratic. Each document is read in a
child process (`read_document` then `extract_citations`, as `citewatch add` does); the bench
prints the seconds, paragraphs per second and the child's peak memory. Linear means paragraphs
per second stay about the same from 10,000 to 160,000.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.docx import build_docx, footnote_ref, hyperlink, note, paragraph, run

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sentence(i: int) -> str:
    """Paragraph i: a short line that carries on the open sentence before it, as table cells
    and hard-wrapped lines do once a converter has made each a paragraph (all of them are
    joined into one sentence: the worst case for the page-break rule)."""
    return f"{'The' if i == 0 else 'and'} detention of activist {i} continued in Almaty"


def url(i: int) -> str:
    return f"https://vlast.kz/novosti/{i}-sud-otklonil-zhalobu.html"


def text_document(count: int) -> str:
    body, notes = [], []
    for i in range(count):
        if i % 5 == 4:
            label = str(len(notes) + 1).translate(SUPERSCRIPT)
            body.append(f"{sentence(i)}{label}")
            notes.append(f"{label} Court record, see {url(i)}")
        else:
            body.append(sentence(i))
    return "Briefing paper\n\n" + "\n\n".join(body) + "\n\n" + "\n".join(notes) + "\n"


def html_document(count: int) -> str:
    body, notes = [], []
    for i in range(count):
        if i % 5 == 4:
            n = len(notes) + 1
            body.append(
                f'<p>{sentence(i)}<a href="#fn{n}" class="footnote-ref" id="fnref{n}">'
                f"<sup>{n}</sup></a></p>"
            )
            notes.append(
                f'<li id="fn{n}"><p>Court record, see <a href="{url(i)}">{url(i)}</a>'
                f'<a href="#fnref{n}" class="footnote-back">↩</a></p></li>'
            )
        else:
            body.append(f"<p>{sentence(i)}</p>")
    return (
        "<html><head><title>Briefing paper</title></head><body>"
        + "".join(body)
        + '<section class="footnotes"><ol>'
        + "".join(notes)
        + "</ol></section></body></html>"
    )


def docx_document(count: int) -> bytes:
    body, notes, links = [], [], {}
    for i in range(count):
        if i % 5 == 4:
            n = len(notes) + 1
            body.append(paragraph(run(sentence(i)), footnote_ref(n)))
            links[f"rIdL{n}"] = url(i)
            notes.append(
                note(n, paragraph(run("Court record, see "), hyperlink(f"rIdL{n}", url(i))))
            )
        else:
            body.append(paragraph(run(sentence(i))))
    return build_docx(body, footnotes=notes, note_links=links, title="Briefing paper")


def write(directory: Path, fmt: str, count: int) -> Path:
    path = directory / f"briefing-{count}.{fmt}"
    if fmt == "docx":
        path.write_bytes(docx_document(count))
    else:
        path.write_text(html_document(count) if fmt == "html" else text_document(count), "utf-8")
    return path


def child(path: Path) -> None:
    """Read one document as `citewatch add` does and print what it took, as JSON."""
    from citations.document import Limits, read_document
    from citations.extract import extract_citations

    started = time.perf_counter()
    loaded = read_document(path, Limits(max_bytes=2**30, max_unpacked_bytes=2**31))
    extraction = extract_citations(loaded.parts)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "citations": len(extraction.citations), "mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,40000,160000")
    parser.add_argument("--formats", default="txt,html,docx")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per document")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    print("format paragraphs     MB  seconds paragraphs/s  peak MB")
    with tempfile.TemporaryDirectory() as temporary:
        for fmt in args.formats.split(","):
            for count in (int(size) for size in args.sizes.split(",")):
                path = write(Path(temporary), fmt, count)
                size = path.stat().st_size / 2**20
                try:
                    done = subprocess.run(
                        [sys.executable, __file__, "--child", str(path)],
                        capture_output=True,
                        text=True,
                        timeout=args.timeout,
                        check=True,
                    )
                except subprocess.TimeoutExpired:
                    print(f"{fmt:6} {count:>10,} {size:>6.1f} {'> ' + str(int(args.timeout)):>8}")
                    continue
                result = json.loads(done.stdout)
                rate = count / result["seconds"]
                print(
                    f"{fmt:6} {count:>10,} {size:>6.1f} {result['seconds']:>8.2f} "
                    f"{rate:>12,.0f} {result['mb']:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
