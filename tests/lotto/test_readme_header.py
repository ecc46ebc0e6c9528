"""The README's channel-header example, run through ``lotto --file``, prints the header
lines it shows (issue 17). Commands and expected lines are read from README.md."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from kvstore.backends import discard_memory
from lotto.cli import main

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
MARKER = "### Who is on call, in the channel header"


def _block_after(marker: str, lang: str, skip: int = 0) -> list[str]:
    start = README.index(marker)
    blocks = re.compile(rf"^```{lang}\n(.*?)^```", re.M | re.S).finditer(README, start)
    for _ in range(skip):
        next(blocks)
    return next(blocks).group(1).splitlines()


def test_the_header_example_prints_what_the_readme_shows(tmp_path, capsys):
    commands = [ln.removeprefix("lotto ") for ln in _block_after(MARKER, "sh")]
    expected = _block_after(MARKER, "text")
    script = tmp_path / "header.lotto"
    script.write_text("\n".join(commands) + "\n", encoding="utf-8")
    store = f"memory://readme-{uuid.uuid4().hex}"
    try:
        status = main(["--store", store, "--as", "boss", "--file", str(script)])
    finally:
        discard_memory(store)
    out, err = capsys.readouterr()
    assert status == 0, err
    assert [ln for ln in out.splitlines() if ln.startswith("Header of ")] == expected
