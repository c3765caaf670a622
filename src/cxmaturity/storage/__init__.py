"""Storage: SQLAlchemy tables, engines for SQLite and PostgreSQL, Alembic migrations."""

#: Ids are 32-bit integers in the database (PostgreSQL's ``integer``): the largest one a request or a command line may
#: name. A larger number names nothing, and refusing it up front names the field instead of failing in the driver.
ID_MAX = 2**31 - 1
