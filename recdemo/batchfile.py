"""`recommend --batch FILE`: one JSON query per line in, one JSON answer per line out. A bad
line becomes that line's `{"id": ..., "error": "..."}` and the batch goes on; the valid lines
are answered together."""

from __future__ import annotations

import json

from recdemo import RecdemoError


def batch_query(dataset, request: dict) -> tuple:
    """`(user_id, history)` of a batch line in internal ids. MovieLens ids pass through as
    given (the recommender rejects anything but JSON integers); custom data's original ids
    (strings, or numbers read as text) are mapped."""
    user, history = request.get("user_id"), request.get("history")
    if dataset.user_keys is None:
        return user, history
    if user is not None:
        return dataset.user_of(user), None
    if not isinstance(history, list):
        raise RecdemoError("history should be a list of item ids.")
    return None, [dataset.item_of(item) for item in history]


def batch_request(recommender, line: str) -> tuple[dict, tuple | None]:
    """A batch line's answer so far (its id, or its one-line error) and, when the line is a
    valid query, its `(user_id, history)`."""
    try:
        request = json.loads(line)
    except ValueError:
        return {"id": None, "error": "not a JSON object"}, None
    if not isinstance(request, dict):
        return {"id": None, "error": "not a JSON object"}, None
    out = {"id": request.get("id")}
    if ("user_id" in request) == ("history" in request):
        return {**out, "error": "give exactly one of user_id or history"}, None
    try:
        query = batch_query(recommender.dataset, request)
        recommender.resolve(*query)
    except RecdemoError as exc:
        return {**out, "error": str(exc)}, None
    return out, query


def batch_answers(recommender, lines: list[str], k: int, exclude_seen: bool) -> list[dict]:
    """One JSON-ready answer per line, in order: `items`, or that line's `error`.

    The valid lines are answered together by `Recommender.recommend_many` (one batched
    forward pass; the two-tower folds in all histories in one vectorised call), with the
    answers one `recommend` call per line would give.
    """
    answers, queries, rows = [], [], []
    for line in lines:
        answer, query = batch_request(recommender, line)
        if query is not None:
            rows.append(len(answers))
            queries.append(query)
        answers.append(answer)
    found = recommender.recommend_many(queries, k=k, exclude_seen=exclude_seen)
    for row, items in zip(rows, found):
        answers[row]["items"] = [item.to_dict() for item in items]
    return answers
