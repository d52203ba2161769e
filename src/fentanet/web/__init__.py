"""The local web app (``fentanet serve``): open or upload a network, explore it, run the
analyses, compare strategies on a scenario with progress, read the reports, download the
results. FastAPI behind uvicorn; the front end (plain JavaScript, no build step) and
plotly.js are served by the app itself, so it works offline.

>>> from fentanet.web import create_app
>>> app = create_app("fentanet-work")          # doctest: +SKIP
"""

from fentanet.web.app import create_app
from fentanet.web.server import serve

__all__ = ["create_app", "serve"]
