"""Reading MovieLens files: both layouts, where they come from, and bad input."""

from __future__ import annotations

import pytest
from synthetic import NUM_MOVIES, movie_title, synthetic_ratings, write_ml1m, write_ml100k

from recdemo import RecdemoError
from recdemo.data import load
from recdemo.movielens import locate, read_folder


def test_ml100k_layout_is_parsed(synthetic_dir):
    dataset = load("ml-100k", synthetic_dir, download=False)
    expected = synthetic_ratings()
    assert len(dataset.ratings) == len(expected)
    first = dataset.ratings.iloc[0]
    assert tuple(int(v) for v in first) == expected[0]  # file row order is kept
    assert dataset.movies.loc[7, "title"] == movie_title(7)
    assert dataset.movies.loc[7, "year"] == 1987
    assert len(dataset.movies.loc[7, "genres"]) == 1
    assert dataset.num_items == NUM_MOVIES + 1


def test_ml1m_layout_is_parsed_with_latin1_and_id_gaps(tmp_path):
    write_ml1m(tmp_path)
    dataset = load("ml-1m", tmp_path, download=False)
    assert dataset.movies.loc[40, "title"] == "Amélie (2001)"
    assert dataset.movies.loc[40, "genres"] == ("Romance",)
    assert dataset.movies.loc[3, "genres"] == ("Comedy", "Drama")
    assert dataset.num_items == 41
    assert len(dataset.ratings) == len(synthetic_ratings())


def test_malformed_line_names_file_and_line(tmp_path):
    folder = write_ml100k(tmp_path)
    lines = (folder / "u.data").read_text().splitlines()
    lines[4] = "1\tnot-a-number\t3\t880000000"
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(RecdemoError, match=r"u\.data, line 5"):
        read_folder(folder, "ml-100k")


def test_rating_of_unknown_movie_is_reported(tmp_path):
    write_ml100k(tmp_path, ratings=[(1, 999, 4, 880000000)])
    with pytest.raises(RecdemoError, match="movie id 999"):
        load("ml-100k", tmp_path, download=False)


def test_explicit_dir_wins_over_environment(tmp_path, monkeypatch, synthetic_dir):
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(tmp_path / "nowhere"))
    assert locate("ml-100k", synthetic_dir, download=False) == synthetic_dir / "ml-100k"


def test_environment_then_cache(tmp_path, monkeypatch, synthetic_dir):
    monkeypatch.setenv("RECDEMO_DATA_DIR", str(synthetic_dir))
    assert locate("ml-100k", download=False) == synthetic_dir / "ml-100k"
    monkeypatch.delenv("RECDEMO_DATA_DIR")
    monkeypatch.setenv("RECDEMO_CACHE_DIR", str(synthetic_dir))
    assert locate("ml-100k", download=False) == synthetic_dir / "ml-100k"


def test_a_previous_download_in_the_cache_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("RECDEMO_DATA_DIR", raising=False)
    monkeypatch.setenv("RECDEMO_CACHE_DIR", str(tmp_path))
    extracted = write_ml100k(tmp_path / "ml-100k_extracted")  # keras.utils.get_file's layout
    assert locate("ml-100k", download=False) == extracted


def test_offline_download_fails_with_one_clear_line(tmp_path, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise OSError("Could not resolve host")

    monkeypatch.delenv("RECDEMO_DATA_DIR", raising=False)
    monkeypatch.setenv("RECDEMO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(RecdemoError, match="Could not download ml-100k.*RECDEMO_DATA_DIR"):
        locate("ml-100k")


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("RECDEMO_DATA_DIR", raising=False)
    monkeypatch.setenv("RECDEMO_CACHE_DIR", str(tmp_path))
    with pytest.raises(RecdemoError, match="RECDEMO_DATA_DIR"):
        locate("ml-100k", download=False)
    with pytest.raises(RecdemoError, match="No ml-100k files"):
        locate("ml-100k", tmp_path, download=False)


def test_unknown_dataset_name():
    with pytest.raises(RecdemoError, match="Unknown dataset"):
        locate("ml-20m", download=False)


@pytest.mark.parametrize("line", ["1\t2\t0\t880000000", "1\t2\t6\t880000000",
                                  "1\t2\t3\t-5", "1\t2\t3\t８８", "1\t2\t3\t1_000"])
def test_ratings_outside_1_to_5_and_bad_timestamps_are_refused(tmp_path, line):
    folder = write_ml100k(tmp_path)
    lines = (folder / "u.data").read_text().splitlines()
    lines[2] = line
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(RecdemoError, match=r"u\.data, line 3"):
        read_folder(folder, "ml-100k")


def test_a_title_holding_the_latin1_next_line_byte_stays_one_line(tmp_path):
    folder = write_ml100k(tmp_path)
    raw = (folder / "u.item").read_bytes().split(b"\n")
    raw[6] = raw[6].replace(b"Film 07", b"Film\x85 07")  # U+0085 in latin-1
    (folder / "u.item").write_bytes(b"\r\n".join(raw))
    dataset = read_folder(folder, "ml-100k")
    assert dataset.movies.loc[7, "title"].startswith("Film\x85 07")
    assert dataset.movies.loc[8, "title"] == movie_title(8)  # CRLF endings are fine too
