"""The dashboard's URL view: hostile links become warnings, good links round-trip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from recdemo.urlstate import View, parse_dataset, parse_int, parse_view, to_params

USERS, MOVIES = set(range(1, 11)), set(range(1, 101))
GENRES, TABS = {"Drama", "Comedy"}, {"Recommendations", "Retrain"}
MODELS = ("two_tower", "gru4rec", "sasrec")


def parse(**params):
    return parse_view({k: v if isinstance(v, list) else [v] for k, v in params.items()},
                      dataset="ml-100k", models=MODELS, default_model="sasrec", user_ids=USERS,
                      movie_ids=MOVIES, genres=GENRES, tabs=TABS, max_history=5)


def test_parse_int_takes_only_plain_ascii_digits():
    assert parse_int("42") == 42 and parse_int("007") == 7
    for bad in ("²", "٣", "1_0", "-1", "1.0", "", "1e3", "9" * 10, None, 5):
        assert parse_int(bad) is None


def test_a_good_link_round_trips():
    view = View(dataset="ml-100k", model="compare", mode="history", user=3, history=[5, 9, 2],
                exclude_seen=False, genres=["Drama"], movie=7, tab="Retrain")
    params = to_params(view, "ml-100k")
    parsed, warnings = parse(**params)
    assert warnings == []
    assert (parsed.model, parsed.mode, parsed.history, parsed.exclude_seen, parsed.genres,
            parsed.movie, parsed.tab) == ("compare", "history", [5, 9, 2], False, ["Drama"], 7,
                                          "Retrain")


def test_hostile_values_become_warnings():
    view, warnings = parse(model="nope", mode="x", user="²", movie="²", tab="<script>",
                           genre=["Drama", "Nope"], history="1,abc,1000")
    assert (view.model, view.mode, view.user, view.movie, view.tab) == ("sasrec", "user", 1,
                                                                         None, None)
    assert view.genres == ["Drama"] and view.history == [1]
    assert len(warnings) == 7


def test_repeats_keep_the_most_recent_watch_and_long_histories_keep_the_newest():
    view, warnings = parse(history="1,2,3,1")
    assert view.history == [2, 3, 1] and "merged" in warnings[0]
    view, warnings = parse(history=",".join(["7"] * 5000))
    assert view.history == [7] and len(warnings) == 1 and "merged" in warnings[0]
    view, warnings = parse(history="1,2,3,4,5,6,7")
    assert view.history == [3, 4, 5, 6, 7] and "most recent 5" in warnings[0]


def test_unknown_dataset_falls_back():
    assert parse_dataset({"dataset": ["ml-20m"]}, ("ml-100k", "ml-1m"), "ml-100k")[0] == "ml-100k"
    assert parse_dataset({"dataset": ["ml-1m"]}, ("ml-100k", "ml-1m"), "ml-100k") == ("ml-1m", [])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["model", "mode", "user", "history", "seen", "genre", "movie", "tab",
                     "dataset", "other"]),
    st.lists(st.text(max_size=60) | st.from_regex(r"[0-9,]{0,40}", fullmatch=True),
             max_size=3)))
def test_any_query_string_gives_a_valid_view(params):
    view, warnings = parse_view(params, dataset="ml-100k", models=MODELS,
                                default_model="sasrec", user_ids=USERS, movie_ids=MOVIES,
                                genres=GENRES, tabs=TABS, max_history=5)
    assert view.model in (*MODELS, "compare") and view.mode in ("user", "history")
    assert view.user in USERS and set(view.history) <= MOVIES and len(view.history) <= 5
    assert len(set(view.history)) == len(view.history)
    assert view.movie is None or view.movie in MOVIES
    assert set(view.genres) <= GENRES and (view.tab is None or view.tab in TABS)
    assert all(isinstance(w, str) and "\n" not in w for w in warnings)
