"""snowbatch evals: the batch-inference flows driven end to end as an assistant would drive them."""
