"""Files → records: read government PDFs into clean Chinese text and GB/T 9704-2012 metadata."""
