"""musicmarkets: Bayesian market analytics on music-streaming charts."""

__version__ = "0.1.0"
