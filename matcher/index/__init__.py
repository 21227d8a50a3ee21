"""Index layer: vector stores (arrays and ids in, ids and scores out), the on-disk folder, and building it."""
