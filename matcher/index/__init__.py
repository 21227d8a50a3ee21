"""Index layer: what a posting becomes (docs), immutable segments, the manifest that commits them, a consistent
view with exact corpus statistics, the store interface and its FAISS/NumPy implementation, writes and merges.

Id spaces (never mixed): a posting id is the user's string; a ref `(s, d)` is local doc `d` of a view's segment
`s` (valid within that view only); a passage row is a row of one segment's passage matrix.
"""
