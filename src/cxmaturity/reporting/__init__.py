"""Views of results: console tables now; HTML and PDF reports and exports later."""
