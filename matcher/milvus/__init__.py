"""Milvus behind the store interface (`milvus://HOST:PORT`, `milvus-lite:///PATH`): optional, `matcher[milvus]`."""
