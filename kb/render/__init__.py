"""Turn a knowledge base into the site's generated files: Markdown pages, SVG figures, exports."""
