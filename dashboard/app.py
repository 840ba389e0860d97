"""The page script: what `streamlit_app.app` runs for every view and rerun."""

import recdemo  # noqa: F401,I001  (first: pins the JAX backend, keeps TensorFlow out)
from dashboard.page import main

main()
