"""The recdemo dashboard: Streamlit UI only, one module per region of the page.

`state` holds the caches and the session's view; `who` the sidebar and the left panel; one
module per tab (`recommendations`, `explore` for similar movies and the map, `quality`,
`retrain_tab`); `charts` the Altair figures; `page` puts them together, `app` is the page
script that `streamlit_app.app` serves, and `warmup` what that server does as it starts.
Every number comes from the `recdemo` package, which never imports streamlit.
"""
