"""kb: an evidence knowledge base: YAML records, validation, a claim-evidence graph, grading."""
