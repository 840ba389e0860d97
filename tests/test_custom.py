"""Your own data: string ids, CSV and Parquet, line-numbered errors, CLI end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from synthetic import (
    NUM_MOVIES,
    TINY_TRAINING,
    custom_item,
    custom_user,
    movie_title,
    synthetic_ratings,
    write_custom,
)

from recdemo import RecdemoError
from recdemo.cli import main
from recdemo.data import load
from recdemo.split import leave_one_out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_string_ids_map_both_ways_and_keep_the_order_of_time(tmp_path, fmt):
    dataset = load(f"custom:{write_custom(tmp_path, fmt)}")
    assert dataset.name == "custom-shop"
    rows = synthetic_ratings()
    assert len(dataset.ratings) == len(rows)
    for (user, movie, rating, stamp), got in zip(rows, dataset.ratings.itertuples()):
        assert dataset.user_key(got.user_id) == custom_user(user)
        assert dataset.item_key(got.movie_id) == custom_item(movie)
        assert (got.rating, got.timestamp) == (rating, stamp)  # ISO date-times -> seconds
    assert dataset.user_of(custom_user(3)) != dataset.user_of(custom_user(4))
    assert dataset.item_key(dataset.item_of(custom_item(5))) == custom_item(5)
    # Titles where the items file has one, else the id; genres split on "|".
    movies = dataset.movies
    assert movies.loc[dataset.item_of(custom_item(4)), "title"] == movie_title(4)
    assert movies.loc[dataset.item_of(custom_item(3)), "title"] == custom_item(3)
    assert movies.loc[dataset.item_of(custom_item(5)), "genres"] == ("Comedy", "Drama")
    # The split holds out each user's two latest interactions, by time.
    split = leave_one_out(dataset)
    user = dataset.user_of(custom_user(2))
    latest = max((stamp, i) for i, (u, _, _, stamp) in enumerate(rows) if u == 2)
    assert split.test[user] in {dataset.item_of(custom_item(m)) for u, m, _, t in rows
                                if u == 2 and t == latest[0]}


def test_without_items_file_or_ratings_the_ids_are_the_titles(tmp_path):
    folder = write_custom(tmp_path, titles=False)
    frame = pd.read_csv(folder / "interactions.csv").drop(columns="rating")
    frame.to_csv(folder / "interactions.csv", index=False)
    dataset = load(f"custom:{folder / 'interactions.csv'}")
    assert (dataset.ratings["rating"] == 5).all()
    assert set(dataset.movies["title"]) == {custom_item(m) for m in range(1, NUM_MOVIES + 1)}


def _write(folder, interactions: str, items: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "interactions.csv").write_text(interactions)
    if items is not None:
        (folder / "items.csv").write_text(items)
    return folder


GOOD = "user,item,timestamp\na,x,1\na,y,2\na,z,3\n"


@pytest.mark.parametrize("interactions, items, message", [
    ("user,item\na,x\n", None, "missing column(s) timestamp"),
    ("user,item,timestamp\na,x,1\n,y,2\n", None, "line 3: empty user id"),
    ("user,item,timestamp\na,x,1\na,y,yesterday\n", None, "line 3: timestamp 'yesterday'"),
    ("user,item,timestamp,rating\na,x,1,5\na,y,2,6\n", None, "line 3: rating '6'"),
    ("user,item,timestamp\na,x,1\nb,y,2\n", None, "no user has 3 interactions"),
    ("user,item,timestamp\n", None, "holds no interactions"),
    (GOOD, "item,title\nx,One\ny,Two\nx,Again\n", "items.csv, line 4: item 'x' appears twice"),
    (GOOD, "title\nOne\n", "missing column(s) item"),
])
def test_bad_files_are_one_line_naming_the_line(tmp_path, interactions, items, message):
    folder = _write(tmp_path / "bad", interactions, items)
    with pytest.raises(RecdemoError) as error:
        load(f"custom:{folder}")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_folder_without_interactions_and_an_unlisted_name_are_refused(tmp_path):
    with pytest.raises(RecdemoError, match="No interactions.csv or interactions.parquet"):
        load(f"custom:{tmp_path}")
    with pytest.raises(RecdemoError, match="RECDEMO_CUSTOM_DATA"):
        load("custom-elsewhere")


def test_cli_trains_recommends_and_batches_with_the_original_ids(tmp_path, capsys):
    folder = write_custom(tmp_path)
    data, root = f"custom:{folder}", str(tmp_path / "artifacts")
    code = main(["train", "--dataset", data, "--model", "all", *TINY_TRAINING, "--out", root])
    assert code == 0, capsys.readouterr().err
    assert "custom-shop" in capsys.readouterr().out
    for model in ("two_tower", "gru4rec", "sasrec"):
        code = main(["recommend", "--dataset", data, "--model", model, "--user-id",
                     custom_user(2), "--k", "3", "--json", "--artifacts", root])
        out, err = capsys.readouterr()
        assert code == 0, err
        items = json.loads(out)["items"]
        assert len(items) == 3
        assert {item["item"] for item in items} <= {custom_item(m)
                                                    for m in range(1, NUM_MOVIES + 1)}
    history = f"{custom_item(1)},{custom_item(2)}"
    assert main(["recommend", "--dataset", data, "--model", "sasrec", "--history", history,
                 "--artifacts", root]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 10 and custom_item(1) not in " ".join(text)
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(line) for line in (
        {"id": 1, "user_id": custom_user(3)}, {"id": 2, "history": [custom_item(7)]},
        {"id": 3, "user_id": "nobody"}, {"id": 4, "history": "x"},
        {"id": 5, "history": [custom_item(7), ["nested"]]})) + "\n")
    assert main(["recommend", "--dataset", data, "--model", "two_tower", "--batch",
                 str(batch), "--artifacts", root]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [len(line.get("items", [])) for line in lines] == [10, 10, 0, 0, 0]
    assert "Unknown user id 'nobody'" in lines[2]["error"]
    code = main(["recommend", "--dataset", data, "--model", "sasrec", "--user-id", "nobody",
                 "--artifacts", root])
    assert code == 2 and capsys.readouterr().err.count("\n") == 1
    assert main(["evaluate", "--dataset", data, "--model", "gru4rec", "--artifacts", root]) == 0


def test_a_dataset_flag_that_is_neither_known_nor_custom_is_one_line(capsys):
    assert main(["recommend", "--dataset", "ml-20m", "--model", "sasrec", "--user-id", "1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.text(max_size=6), min_size=0, max_size=5), max_size=8),
       st.sampled_from(["user,item,timestamp", "user,item,timestamp,rating", "item,user",
                        ""]))
@example(rows=[['"'], ['"']], header="")  # a quoted line break in the header's only cell
def test_any_csv_either_loads_or_fails_in_one_line(tmp_path, rows, header):
    """Hostile files: whatever the bytes, the answer is a dataset or one RecdemoError line."""
    folder = tmp_path / "hostile"
    folder.mkdir(exist_ok=True)
    lines = [header, *(",".join(cell.replace("\x00", "") for cell in row) for row in rows)]
    (folder / "interactions.csv").write_text("\n".join(lines), encoding="utf-8")
    try:
        dataset = load(f"custom:{folder}")
    except RecdemoError as error:
        assert "\n" not in str(error)
    else:
        assert dataset.num_users >= 2 and (dataset.ratings["movie_id"] >= 1).all()
