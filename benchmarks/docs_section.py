"""Writes a benchmark's results into docs/performance.md: the block between
its start and end markers is replaced, or added under `heading` the first
time (at the end, or before the text `before`)."""
import os

PERFORMANCE_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "..", "docs", "performance.md")


def write_section(start_marker, end_marker, heading, lines, before=None,
                  path=PERFORMANCE_MD):
    """`lines` is the block's body, without the markers."""
    block = "\n".join([start_marker, "", *lines, "", end_marker])
    with open(path) as f:
        text = f.read()
    if start_marker in text:
        start = text.index(start_marker)
        end = text.index(end_marker) + len(end_marker)
        text = text[:start] + block + text[end:]
    elif before and before in text:
        head, _, rest = text.partition(before)
        text = head + f"## {heading}\n\n" + block + "\n\n" + before + rest
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)
