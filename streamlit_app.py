"""recdemo dashboard entry point: `streamlit run streamlit_app.py` (or `make run`).

`streamlit run` finds `app` and serves it: the page script `dashboard/app.py`, with a start-up
hook that prepares the first page while the first browser loads, and a watch on the page's
files that the first model load yields to (`dashboard.warmup`).
"""

import recdemo  # noqa: F401,I001  (first: pins the JAX backend, keeps TensorFlow out)
import streamlit as st
from starlette.middleware import Middleware

from dashboard.warmup import PageFilesWatch, lifespan

app = st.App("dashboard/app.py", lifespan=lifespan, middleware=[Middleware(PageFilesWatch)])
