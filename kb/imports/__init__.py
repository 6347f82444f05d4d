"""Reading reference exports (BibTeX, RIS, PubMed MEDLINE, CSL-JSON) into the knowledge base."""
