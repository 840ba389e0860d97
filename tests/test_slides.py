"""Slide exports: the CSV says what it is and round-trips, the PNG is a real image of the
titled chart, and the list names only reasons the attribution supports."""

from __future__ import annotations

import io
import struct

import pandas as pd

from recdemo import slides
from recdemo.attribution import Removal
from recdemo.recommendation import Recommendation

MOVIES = pd.DataFrame({"title": ["Alpha (1990)", "Beta (1991)", "Gamma (1992)"],
                       "genres": [("Drama",), ("Comedy", "Drama"), ()]},
                      index=pd.Index([1, 2, 3], name="movie_id"))


def _items():
    return [Recommendation(movie_id=2, title="Beta (1991)", score=3.0, probability=0.5, item="2"),
            Recommendation(movie_id=3, title="Gamma (1992)", score=1.0, probability=0.25,
                           item="3")]


def test_the_list_names_a_reason_only_where_removing_it_pushes_the_pick_down():
    reasons = {2: [Removal(removed=1, score_change=-0.8, rank=1, rank_without=4)],
               3: [Removal(removed=1, score_change=-0.3, rank=2, rank_without=1),
                   Removal(removed=2, score_change=0.1, rank=2, rank_without=3)]}
    frame = slides.list_frame(_items(), MOVIES, reasons)
    assert frame["rank"].tolist() == [1, 2] and frame["movie_id"].tolist() == [2, 3]
    assert frame["genres"].tolist() == ["Comedy, Drama", ""]
    assert frame["rests_on"].tolist() == ["Alpha (1990)", ""]
    assert frame["rank_without_it"].iloc[0] == 4 and pd.isna(frame["rank_without_it"].iloc[1])
    assert slides.list_frame(_items(), MOVIES, None)["rests_on"].tolist() == ["", ""]


def test_the_csv_starts_with_what_it_is_and_round_trips():
    frame = slides.list_frame(_items(), MOVIES, None)
    sub = slides.subtitle("ml-100k", "user 7 (last movie held out)", True, ["Drama"])
    assert sub == ("ml-100k · user 7 (last movie held out) · watched movies excluded · "
                   "genres: Drama")
    data = slides.csv_bytes(frame, "Top 10 from SASRec for user 7", sub)
    lines = data.decode("utf-8").splitlines()
    assert lines[:2] == ["# Top 10 from SASRec for user 7", f"# {sub}"]
    back = pd.read_csv(io.BytesIO(data), comment="#", keep_default_na=False)
    assert back["title"].tolist() == frame["title"].tolist()
    assert back["probability"].tolist() == [0.5, 0.25]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_png_is_the_titled_list_at_slide_resolution():
    frame = slides.list_frame(_items(), MOVIES, None)
    chart = slides.list_chart(frame, "Top 10 from SASRec for user 7", "ml-100k · user 7")
    spec = chart.to_dict()
    assert spec["title"]["text"] == "Top 10 from SASRec for user 7"
    assert spec["title"]["subtitle"] == "ml-100k · user 7"
    width, height = _png_size(slides.png_bytes(chart))
    assert width >= 2 * (slides.WIDTH - 560) + 200 and 200 < height < width


def test_a_table_slide_shades_agreement_and_the_held_out_movie():
    grid = pd.DataFrame({"rank": [1, 2], "SASRec": ["Beta", "Gamma"], "GRU4Rec": ["Gamma", "Beta"]})
    shades = pd.DataFrame({"SASRec": [2, -1], "GRU4Rec": [0, 3]})
    chart = slides.table_chart(grid, "Top 10 from every model", "ml-100k", shades)
    cells = pd.DataFrame(chart.to_dict()["datasets"].popitem()[1])
    shade = {(c.row, c.column): c.shade for c in cells.itertuples()}
    assert shade[("1", "SASRec")] == slides.SHADES[2]
    assert shade[("2", "SASRec")] == slides.HELD_OUT_SHADE
    assert shade[("2", "GRU4Rec")] == slides.SHADES[3]
    assert shade[("1", "GRU4Rec")] == "transparent"
    assert _png_size(slides.png_bytes(chart))[0] > 800
