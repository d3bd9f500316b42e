"""Without a browser, browser tests skip; with ANI_GRAPH_REQUIRE_BROWSER=1 (as in CI) they fail."""

import pytest

from . import conftest


def test_missing_browser_skips_by_default(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("ANI_GRAPH_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no browser"):
        conftest.need_browser()


def test_missing_browser_fails_when_required(monkeypatch, tmp_path):
    monkeypatch.setattr(conftest, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("ANI_GRAPH_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="required"):
        conftest.need_browser()
