"""Production's static files storage gives each file's hashed address, as whitenoise's does,
however often it is asked, and still refuses a file the manifest does not name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from hub.static_files import StaticFilesStorage


def _collected(root: Path) -> None:
    (root / "css").mkdir()
    (root / "css" / "hub.css").write_text("body { margin: 0 }")
    (root / "css" / "hub.0123456789ab.css").write_text("body { margin: 0 }")
    manifest = {"paths": {"css/hub.css": "css/hub.0123456789ab.css"}, "version": "1.1"}
    (root / "staticfiles.json").write_text(json.dumps(manifest))


def test_each_address_is_whitenoises_however_often_it_is_asked(tmp_path: Path) -> None:
    _collected(tmp_path)
    ours = StaticFilesStorage(location=tmp_path, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    for _ in range(3):
        assert (
            ours.url("css/hub.css")
            == theirs.url("css/hub.css")
            == ("/static/css/hub.0123456789ab.css")
        )
        assert ours.url("css/hub.css", force=True) == theirs.url("css/hub.css", force=True)
        # A query or a fragment is kept, as Django keeps it.
        assert ours.url("css/hub.css?v=2#top") == theirs.url("css/hub.css?v=2#top")


def test_a_file_the_manifest_does_not_name_is_refused_every_time(tmp_path: Path) -> None:
    _collected(tmp_path)
    ours = StaticFilesStorage(location=tmp_path, base_url="/static/")
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("css/missing.css")
