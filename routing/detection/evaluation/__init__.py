"""`make eval`: a labelled, deterministic corpus (English, Russian, Kazakh) and its scorer."""
