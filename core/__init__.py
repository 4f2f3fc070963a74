"""The kernel every part of chirp imports: settings, errors, the list of components."""
