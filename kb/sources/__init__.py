"""The registries behind the identifiers: the lockfile kb commits, the HTTP client that fills it,
one module per registry (Crossref, NCBI E-utilities, ClinicalTrials.gov), and the run that
resolves every identifier of a knowledge base. Only `kb resolve` goes on the network; checks and
builds read the lockfile."""
