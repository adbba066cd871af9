"""The README renders and says what the tools say.

* every fenced code block opens and closes (an unclosed fence turns the rest of the page into
  code, a fence closed early turns a command list into a run-on paragraph);
* the Quickstart has exactly two command lines, ``make demo`` and ``make test``, and both are
  Makefile targets;
* every seed count the README states (chains, segments, links, regions, local enterprises) is the
  count ``chainmap seed check`` prints and ``chainmap.seed`` computes;
* every ``chainmap ...`` command of the command list exists: its ``--help`` exits 0;
* every relative link (docs, screenshots) points to a file of the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chainmap.seed import link_counts, load_seed

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


def _text() -> str:
    return README.read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[int, int, str, list[str]]]:
    """(opening line, closing line, info string, body lines) of each fenced block.

    Raises AssertionError naming the line of a fence that never closes.

    >>> fenced_blocks("a\\n```bash\\nx\\n```\\n")
    [(2, 4, 'bash', ['x'])]
    """
    blocks: list[tuple[int, int, str, list[str]]] = []
    open_at: tuple[int, str, str] | None = None
    body: list[str] = []
    for no, line in enumerate(text.splitlines(), start=1):
        m = FENCE.match(line)
        if open_at is None:
            if m:
                open_at = (no, m.group(2), m.group(3).strip())
                body = []
            continue
        # CommonMark: a closing fence uses the same character, at least as long, no info string.
        if m and m.group(2)[0] == open_at[1][0] and len(m.group(2)) >= len(open_at[1]) and not m.group(3).strip():
            blocks.append((open_at[0], no, open_at[2], body))
            open_at = None
        else:
            body.append(line)
    assert open_at is None, f"README.md:{open_at[0]}: code fence {open_at[1]!r} is never closed"
    return blocks


def section(text: str, heading: str) -> str:
    """The text of the ``## heading`` section, up to the next heading of level 2."""
    m = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README.md has no '## {heading}' section"
    return m.group(1)


def command_lines(block: list[str]) -> list[str]:
    """Non-empty, non-comment lines of a shell block, without their trailing comments."""
    out = []
    for line in block:
        code = re.sub(r"\s+#.*$", "", line).strip()
        if code and not code.startswith("#"):
            out.append(code)
    return out


def test_every_fence_is_closed_and_balanced() -> None:
    text = _text()
    blocks = fenced_blocks(text)
    assert len(blocks) >= 4, blocks
    # Nothing outside a block looks like a fence left over (e.g. a stray ``` inside a line).
    outside = text.splitlines()
    inside = {n for a, b, _, _ in blocks for n in range(a, b + 1)}
    stray = [n for n, line in enumerate(outside, 1) if n not in inside and "```" in line]
    assert not stray, f"README.md: stray ``` outside fenced blocks at lines {stray}"


def test_readme_renders_as_commonmark() -> None:
    """Rendered by a CommonMark parser (markdown-it-py, with tables): the same fenced blocks as
    :func:`fenced_blocks`, every ``chainmap`` command line of the source inside one of them, and
    every table row with as many cells as its header."""
    from markdown_it import MarkdownIt

    text = _text()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert [(t.map[0] + 1, t.map[1]) for t in fences if t.map] == [(a, b) for a, b, _, _ in fenced_blocks(text)]
    in_code = {n for t in fences if t.map for n in range(t.map[0], t.map[1])}
    import typer

    from api.cli import app

    root = typer.main.get_command(app)
    commands = set(root.list_commands(root.context_class(root)))  # type: ignore[attr-defined]
    loose = [
        n + 1 for n, line in enumerate(text.splitlines())
        if n not in in_code and re.match(r"chainmap (\S+)", line) and line.split()[1] in commands
    ]
    assert not loose, f"README.md: command lines outside a code block (run-on text) at lines {loose}"
    rows: list[int] = []
    for t in tokens:
        if t.type == "tr_open":
            rows.append(0)
        elif t.type in ("th_open", "td_open"):
            rows[-1] += 1
        elif t.type == "table_close":
            assert len(set(rows)) == 1, f"README.md: a table's rows have different cell counts {rows}"
            rows = []


def test_quickstart_has_exactly_two_command_lines() -> None:
    quick = section(_text(), "Quickstart")
    blocks = fenced_blocks(quick)
    lines = [c for _, _, _, body in blocks for c in command_lines(body)]
    assert lines == ["make demo", "make test"], lines
    targets = re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert {"demo", "test"} <= set(targets), targets


# --- seed counts -------------------------------------------------------------------------

def tool_counts() -> dict[str, int]:
    data = load_seed()
    links = link_counts(data)
    kinds = Counter(r.kind.value for r in data.regions)
    return {
        "chains": len(data.chains),
        "sub_chains": sum(1 for c in data.chains if c.parent),
        "segments": len(data.segments),
        "links": links["total"],
        "links_csv": links["links"],
        "parent_links": links["parent_links"],
        "cross_chain": links["cross_chain"],
        "regions": len(data.regions),
        "counties": kinds["county"],
        "zones": kinds["zone"],
        "enterprises": len(data.enterprises),
    }


# Each pattern's first group is a count the README states; the key names the tool's count.
COUNT_PATTERNS: dict[str, list[str]] = {
    "chains": [r"(\d+) chains", r"(\d+) ?条(?:产业)?链"],
    "sub_chains": [r"(\d+) sub-chains", r"材'?s? (\w+) sub-chains", r"(\d+) ?条子链"],
    "segments": [r"(\d+) segments", r"(\d+) ?个环节"],
    "links": [r"(\d+) links", r"(\d+) ?条关联"],
    "links_csv": [r"(\d+) in `links\.csv`", r"关联表 ?(\d+) ?条"],
    "parent_links": [r"(\d+) implicit parent links", r"上级环节隐含 ?(\d+) ?条"],
    "cross_chain": [r"(\d+) across chains", r"跨链 ?(\d+) ?条"],
    "regions": [r"(\d+) regions", r"(\d+) ?个(?:地区|区域)"],
    "counties": [r"(\d+) county-level units", r"(\d+) ?个县（市、区）"],
    "zones": [r"(\d+) provincial development zones", r"(\d+) ?个省级开发区"],
    "enterprises": [r"(\d+) local enterprises", r"(\d+) ?家本地企业"],
}
WORDS = {"six": 6, "five": 5, "four": 4, "ten": 10}


def stated_counts(text: str) -> dict[str, list[str]]:
    """Every count of COUNT_PATTERNS found in the seed-data section and the intro."""
    found: dict[str, list[str]] = {}
    for key, patterns in COUNT_PATTERNS.items():
        for p in patterns:
            found.setdefault(key, []).extend(re.findall(p, text))
    return found


def _value(s: str) -> int:
    return int(s) if s.isdigit() else WORDS[s]


def test_seed_counts_match_the_tools() -> None:
    text = _text()
    # The seed counts are stated in the Chinese intro and the seed-data section; other sections
    # speak of other data (e.g. candidate pools), so only these two are checked.
    scope = text.split("## Quickstart")[0] + section(text, "Seed data (graph_seed/)")
    want = tool_counts()
    found = stated_counts(scope)
    wrong = {k: (v, want[k]) for k, vs in found.items() for v in vs if _value(v) != want[k]}
    assert not wrong, f"README counts differ from the seed (stated, actual): {wrong}"
    for key in ("chains", "segments", "links", "regions", "enterprises", "cross_chain", "links_csv"):
        assert found.get(key), f"README.md states no {key} count of the seed"


def test_seed_check_prints_the_same_counts() -> None:
    """`chainmap seed check` (a real process) agrees with chainmap.seed, so with the README."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "seed", "check", "--lang", "en"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False,
    )
    assert out.returncode == 0, out.stderr
    want = tool_counts()
    m = re.search(
        r"(\d+) chains, (\d+) segments, (\d+) links \((\d+) in links\.csv \+ (\d+) implicit parent links; "
        r"(\d+) cross-chain\), (\d+) enterprises, (\d+) regions",
        out.stdout,
    )
    assert m, out.stdout
    got = [int(g) for g in m.groups()]
    assert got == [want[k] for k in ("chains", "segments", "links", "links_csv", "parent_links",
                                     "cross_chain", "enterprises", "regions")], (got, want)


# --- the command list --------------------------------------------------------------------

def readme_commands(text: str) -> list[list[str]]:
    """The command paths (e.g. ['projects', 'targets', 'set']) of every ``chainmap`` line in a
    shell block, alternatives (``accept|reject``) and ``a / chainmap b`` lines expanded."""
    import typer

    from api.cli import app

    root = typer.main.get_command(app)
    paths: list[list[str]] = []
    for _, _, info, body in fenced_blocks(text):
        if info not in ("bash", "sh", "shell", ""):
            continue
        for line in command_lines(body):
            for part in re.split(r"\s+/\s+(?=chainmap\b)", line):
                words = re.sub(r"^(?:\w+=\S+\s+)+", "", part).split()
                if not words or words[0] != "chainmap":
                    continue
                todo: list[tuple[Any, list[str], list[str]]] = [(root, [], words[1:])]
                while todo:
                    cmd, path, rest = todo.pop()
                    if hasattr(cmd, "list_commands") and rest:
                        # list_commands/get_command, not .commands: the CLI loads its groups lazily
                        # (and typer may bring its own click, so no isinstance on click classes).
                        ctx = cmd.context_class(cmd)
                        names = cmd.list_commands(ctx)
                        subs = [w for w in rest[0].split("|") if w in names]
                        if subs:
                            todo.extend((cmd.get_command(ctx, w), [*path, w], rest[1:]) for w in subs)
                            continue
                        assert not re.fullmatch(r"[a-z][a-z-]+", rest[0]) or not path, (
                            f"README: `{part}`: '{rest[0]}' is not a command of "
                            f"`chainmap {' '.join(path)}` (valid: {', '.join(sorted(names))})"
                        )
                    assert path, f"README: `{part}` names no chainmap command"
                    paths.append(path)
    return paths


def test_every_listed_command_exists() -> None:
    from typer.testing import CliRunner

    from api.cli import app

    paths = readme_commands(_text())
    unique = sorted({tuple(p) for p in paths})
    assert len(unique) >= 20, unique
    runner = CliRunner()
    for path in unique:
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, f"chainmap {' '.join(path)} --help: {res.output}"
        assert "Usage" in res.output


def test_command_list_uses_names_not_ids() -> None:
    """People type names: the README's examples show Chinese names for chain, region, gap, type."""
    block = section(_text(), "Command line")
    for example in ("--region 永济", "--type 补链", "--gap 智能座舱", "chainmap regions"):
        assert example in block, f"README command list lacks the example {example!r}"


GUIDES = [README, ROOT / "docs" / "使用说明.md", ROOT / "docs" / "user-guide.md"]
LINK = re.compile(r"\]\(((?!https?:|#|mailto:)[^)\s]+)\)")


def relative_links() -> list[tuple[str, str]]:
    """(document, target) of every relative link and image of the README and the user guides."""
    return [
        (doc.relative_to(ROOT).as_posix(), target)
        for doc in GUIDES if doc.exists()
        for target in sorted(set(LINK.findall(doc.read_text(encoding="utf-8"))))
    ]


def test_user_guides_exist_and_show_each_journey() -> None:
    zh = (ROOT / "docs" / "使用说明.md").read_text(encoding="utf-8")
    en = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    for page in ("诊断", "招商线索", "项目", "图谱", "编辑图谱", "普查导入", "审核队列", "驾驶舱"):
        assert f"**{page}**" in zh, f"docs/使用说明.md does not walk the {page} page"
    for term in ("关联密度", "关键度", "支配", "优先级", *("补链 强链 延链 健全 暂不布局 不适宜 待核实".split())):
        assert term in zh, f"docs/使用说明.md does not explain {term}"
    images = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", zh)
    assert len(set(images)) >= 12, images
    assert len(en) < len(zh.encode("utf-8")), "the English guide is the short version"


@pytest.mark.parametrize(("doc", "target"), relative_links())
def test_relative_links_exist(doc: str, target: str) -> None:
    path = (ROOT / doc).parent / target.split("#")[0]
    assert path.exists(), f"{doc} links to a missing file: {target}"
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{doc}: {target} is not a PNG"
