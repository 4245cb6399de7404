"""The monthly, quarterly and term reports: a PDF with charts, tables and a page for
signatures, and the data behind every chart as CSV and XLSX, built from `Statistics`."""
