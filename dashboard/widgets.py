"""Small widgets more than one view uses."""

from __future__ import annotations

import streamlit as st


def pick_pair(options: list, names: dict, keys: tuple[str, str], second_label: str):
    """Two models side by side (SASRec and GRU4Rec first when offered); `(a, b)`, or None
    with a note when the same one is picked twice."""
    left, right = st.columns(2)
    a = left.selectbox("Model", options, format_func=names.get, key=keys[0],
                       index=options.index("sasrec") if "sasrec" in options else 0)
    b = right.selectbox(second_label, options, format_func=names.get, key=keys[1],
                        index=options.index("gru4rec") if "gru4rec" in options else 1)
    if a == b:
        st.caption("Pick two different models.")
        return None
    return a, b
