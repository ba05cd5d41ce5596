"""bot.tools.train: the one way the project trains, without changing the working directory."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import paths
from bot.tools import train


def test_the_config_rasa_gets_names_the_jieba_dictionary_wherever_the_process_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: a relative path would not be found from here
    copy = train._absolute_config(paths.CONFIG, tmp_path)
    ours = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    theirs = yaml.safe_load(copy.read_text(encoding="utf-8"))
    jieba = [c for c in theirs["pipeline"] if c["name"] == "JiebaTokenizer"][0]
    assert Path(jieba["dictionary_path"]).is_absolute()
    assert Path(jieba["dictionary_path"]) == paths.JIEBA_DICT_DIR
    assert any(Path(jieba["dictionary_path"]).glob("*.txt"))
    # nothing else changes: same components, same settings, same policies
    for component in ours["pipeline"]:
        component.pop("dictionary_path", None)
    jieba.pop("dictionary_path")
    assert theirs == ours
    assert Path.cwd() == tmp_path


def test_a_config_without_relative_paths_is_copied_unchanged(tmp_path):
    baseline = paths.BOT / "tools" / "baselines" / "config_whitespace.yml"
    copy = train._absolute_config(baseline, tmp_path)
    assert yaml.safe_load(copy.read_text(encoding="utf-8")) == yaml.safe_load(
        baseline.read_text(encoding="utf-8")
    )
