"""recdemo dashboard entry point: `streamlit run streamlit_app.py` (or `make run`).

`streamlit run` finds `app` and serves it: the page script `dashboard/app.py`, with a start-up
hook that prepares the first page while the first browser loads (`dashboard.warmup`), and the
page's stylesheet in the head of the HTML page (`dashboard.stylesheet`).
"""

import recdemo  # noqa: F401,I001  (first: pins the JAX backend, keeps TensorFlow out)
import streamlit as st
from starlette.middleware import Middleware

from dashboard.stylesheet import HeadStylesheet
from dashboard.warmup import lifespan

app = st.App("dashboard/app.py", lifespan=lifespan, middleware=[Middleware(HeadStylesheet)])
