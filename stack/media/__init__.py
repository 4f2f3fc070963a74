"""Uploads: images checked by their bytes, kept in the object store, served by the edge."""
