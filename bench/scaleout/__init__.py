"""Scale-out benchmarks: Ray batch throughput, Milvus beside the FAISS store (search, recall, write cost)."""
