"""``xxgk serve``: the collection season in a browser (see :mod:`toolkit.web.app`)."""

from toolkit.web.app import Limits, create_app

__all__ = ["Limits", "create_app"]
