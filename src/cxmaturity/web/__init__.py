"""The web app: server-rendered pages for facilitators and respondents, and the JSON API."""
