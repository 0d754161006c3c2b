"""Open data in and out: ACLED, HXL, plain CSV and GeoJSON exports; ACLED, UCDP GED and GeoJSON imports."""
