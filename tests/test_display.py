import math
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recdemo.display import share_bar_html


class Parts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.classes.append(dict(attrs).get("class"))

    def handle_data(self, data):
        self.text.append(data)


def filled(html: str) -> float:
    return float(re.search(r"width: ([\d.]+)%", html)[1])


@pytest.mark.parametrize(("fraction", "percent"), [
    (0.5, 50.0), (0.123, 12.3), (0.0, 0.0), (1.0, 100.0),
    (1.7, 100.0), (-0.2, 0.0), (math.nan, 0.0), (math.inf, 0.0)])
def test_the_bar_is_filled_to_its_fraction_within_its_track(fraction, percent):
    assert filled(share_bar_html(fraction)) == percent


@given(st.text())
def test_the_label_is_shown_literally(label):
    parser = Parts()
    parser.feed(share_bar_html(0.3, label))
    assert "".join(parser.text) == label
    assert parser.classes[-2:] == ["share-bar", "share-fill"]
