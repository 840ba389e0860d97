"""Benchmark sequence files (`sequences:FILE`): parsing, one-line errors, the CLI end to end,
and the shared Amazon Video Games file (skipped without it, a failure in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from synthetic import TINY_TRAINING, synthetic_ratings

from recdemo import RecdemoError
from recdemo.cli import main
from recdemo.data import available, load
from recdemo.split import leave_one_out

VIDEO_GAMES = Path(__file__).resolve().parents[2] / "shared/benchmarks/amazon-video-games/Video.txt"


def write_sequences(folder: Path) -> Path:
    """The synthetic ratings as a benchmark file: users by id, each user's movies in time order
    (ids shifted by 100 so that the file's ids differ from the internal ones)."""
    rows = sorted(synthetic_ratings(), key=lambda row: (row[0], row[3]))
    path = folder / "shop.txt"
    path.write_text("".join(f"{user + 100} {movie + 100}\n" for user, movie, _, _ in rows))
    return path


def test_lines_become_a_dataset_in_file_order(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("7 30\n7 10\n7 20\n7 30\n\n9 10\t\n9 20\r\n9 40\n5 40\n")
    dataset = load(f"sequences:{path}")
    assert dataset.name == "sequences-tiny"
    assert list(dataset.user_keys[1:]) == ["5", "7", "9"]  # numeric order
    assert list(dataset.item_keys[1:]) == ["10", "20", "30", "40"]
    assert dataset.movies["title"].tolist() == ["item 10", "item 20", "item 30", "item 40"]
    assert (dataset.ratings["rating"] == 5).all()
    split = leave_one_out(dataset)
    seven, nine = dataset.user_of("7"), dataset.user_of("9")
    key = dataset.item_key
    # The last line of a user is the test target, the one before it the validation target.
    assert [key(i) for i in split.train[seven]] == ["30", "10"]
    assert (key(split.valid[seven]), key(split.test[seven])) == ("20", "30")
    assert (key(split.valid[nine]), key(split.test[nine])) == ("20", "40")
    assert dataset.user_of("5") not in split.test  # one line: train only


@pytest.mark.parametrize("content, where, what", [
    (b"1 2\n1 3\n1\n", "line 3", "1 field(s)"),
    (b"1 2\n1 x\n", "line 2", "not a non-negative integer"),
    (b"1 2 3\n", "line 1", "3 field(s)"),
    (b"1 2\n-1 2\n", "line 2", "not a non-negative integer"),
    (b"1,2\n", "line 1", "1 field(s)"),
    (b"1 2\n1 \xff\n", "line 2", "not UTF-8"),
    (b"", "", "holds no interactions"),
    (b"\n \n", "", "holds no interactions"),
    (b"1 2\n2 3\n", "", "no user has 3 interactions"),
])
def test_a_malformed_file_is_one_line_naming_file_and_line(tmp_path, content, where, what):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(RecdemoError) as error:
        load(f"sequences:{path}")
    message = str(error.value)
    assert "\n" not in message and str(path) in message and what in message
    assert f"{path}, {where}:" in message if where else True


def test_cli_trains_serves_and_refuses_in_one_line(tmp_path, capsys):
    path = write_sequences(tmp_path)
    data, root = f"sequences:{path}", str(tmp_path / "artifacts")
    code = main(["train", "--dataset", data, "--model", "sasrec", *TINY_TRAINING, "--out", root])
    assert code == 0, capsys.readouterr().err
    assert (Path(root) / "sequences-shop" / "sasrec").is_dir()
    capsys.readouterr()
    assert main(["recommend", "--dataset", data, "--model", "sasrec", "--user-id", "101",
                 "--artifacts", root]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and all(" item 1" in line for line in lines)  # ids as in the file
    assert main(["recommend", "--dataset", data, "--model", "sasrec", "--user-id", "1",
                 "--artifacts", root]) == 2  # 1 is not a user id of the file
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "broken.txt").write_text("1 2\n1\n")
    assert main(["train", "--dataset", f"sequences:{tmp_path / 'broken.txt'}", "--model",
                 "sasrec", "--out", root]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.txt, line 2" in err


def test_a_listed_file_is_offered_by_name(tmp_path, monkeypatch):
    path = write_sequences(tmp_path)
    monkeypatch.setenv("RECDEMO_SEQUENCE_DATA", str(path))
    assert "sequences-shop" in available()
    assert load("sequences-shop").num_users == load(f"sequences:{path}").num_users
    with pytest.raises(RecdemoError, match="Unknown dataset"):
        load("sequences-elsewhere")


@pytest.fixture(scope="module")
def video_games():
    if not VIDEO_GAMES.is_file():
        message = f"benchmark file not found: {VIDEO_GAMES}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return load(f"sequences:{VIDEO_GAMES}")


def test_the_shared_video_games_file_has_its_published_shape(video_games):
    # Its README: 31,013 users, 23,715 items, 287,107 interactions, ids from 1 with no gaps.
    assert (video_games.num_users - 1, video_games.num_items - 1) == (31013, 23715)
    assert len(video_games.ratings) == 287107
    assert video_games.user_key(1) == "1" and video_games.item_key(23715) == "23715"
    per_user = np.bincount(np.loadtxt(VIDEO_GAMES, dtype=np.int64)[:, 0])
    split = leave_one_out(video_games)
    assert len(split.test) == (per_user >= 3).sum()
    lengths = np.array([len(items) for items in split.train.values()])
    assert lengths.sum() == 287107 - 2 * len(split.test)
