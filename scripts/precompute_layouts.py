"""Precompute the chain-map layouts of the shipped seed (called by ``scripts/build-web.sh``).

Loads the seed into a temporary SQLite store, asks the API (in process, auth off) for what
the chain-map page asks for -- each chain's graph and gaps for the city and the label
catalogue, in Chinese and English -- and lets ``scripts/precompute_layouts.js`` (Node + the
vendored elkjs) lay out each chain collapsed and with its neighbours into
``api/static/prelayout/``. The page uses a file only when its ELK input hashes the same
(``api/static/app.js`` shippedLayout); a changed seed or chain simply misses and is laid
out in the browser as before.

Run ``python scripts/precompute_layouts.py [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def views() -> list[dict[str, object]]:
    """The page's inputs of every chain x language x view on the shipped seed."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(chainmap_store="sqlite", chainmap_sqlite_path=str(Path(tmp) / "seed.db"), chainmap_auth=False)
        with TestClient(create_app(settings)) as client:

            def get(path: str, **params: object) -> object:
                r = client.get("/api/v1" + path, params=params)
                r.raise_for_status()
                return r.json()

            region = next((r["id"] for r in get("/regions") if r["kind"] == "city"), "yuncheng")  # type: ignore[index, union-attr]
            out: list[dict[str, object]] = []
            for chain in [c["id"] for c in get("/chains")]:  # type: ignore[union-attr, index]
                graph = get(f"/chains/{chain}/graph", format="json", region=region)
                for lang in ("zh", "en"):
                    gaps = get("/gaps", chain=chain, region=region, lang=lang, page_size=1000)["items"]  # type: ignore[index, call-overload]
                    labels = get("/labels", lang=lang)
                    for collapse in (True, False):
                        out.append({"chain": chain, "lang": lang, "collapse": collapse, "graph": graph, "gaps": gaps, "labels": labels})
            return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "api" / "static" / "prelayout")
    args = ap.parse_args(argv)
    node = shutil.which("node")
    if node is None:
        print("[prelayout] node not found: no precomputed layouts (the page lays chains out itself)", file=sys.stderr)
        return 1
    data = json.dumps(views(), ensure_ascii=False)
    tmp_out = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(tmp_out, ignore_errors=True)
    done = subprocess.run([node, str(ROOT / "scripts" / "precompute_layouts.js"), str(tmp_out)], input=data, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(tmp_out, ignore_errors=True)
        return done.returncode
    shutil.rmtree(args.out, ignore_errors=True)
    tmp_out.rename(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
