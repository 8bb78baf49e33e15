"""Spreadsheets in and out: Danish Excel CSV and XLSX imports with a preview, and exports."""
