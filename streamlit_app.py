"""recdemo dashboard entry point: `streamlit run streamlit_app.py` (or `make run`).

The page lives in `dashboard/`; every number it shows comes from the `recdemo` package.
"""

import recdemo  # noqa: F401,I001  (first: pins the JAX backend, keeps TensorFlow out)
from dashboard.page import main

main()
